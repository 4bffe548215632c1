package org.filtervis.graph;

import java.util.Arrays;
import java.util.List;

/** Builds graphs in code: the demo network and test fixtures. Tensor names equal node names. */
public final class GraphBuilder {
    private final Graph graph;
    private final long opset;

    public GraphBuilder(String name, long opset) {
        this.graph = new Graph(name);
        this.opset = opset;
    }

    /** Declares a float input; a dim is a Long (fixed) or a String (free). */
    public String input(String name, Object... dims) {
        graph.inputs.add(new ValueInfo(name, DataType.FLOAT, Arrays.asList(dims)));
        return name;
    }

    public String weight(String name, Tensor value) {
        graph.initializers.put(name, value);
        return name;
    }

    /** Adds a node whose single output is named like the node. */
    public String node(String opType, String name, List<String> inputs, Attribute... attributes) {
        graph.nodes.add(Node.of(opType, name, inputs, List.of(name), attributes));
        return name;
    }

    public OnnxModel output(String... names) {
        for (String n : names) {
            graph.outputs.add(ValueInfo.untyped(n));
        }
        OnnxModel m = new OnnxModel(graph, opset);
        m.irVersion = opset >= 17 ? 8 : 7;
        return m;
    }
}
