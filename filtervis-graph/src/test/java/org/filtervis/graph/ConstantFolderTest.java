package org.filtervis.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Constant folding of shape subgraphs for the size at hand (PyTorch exports compute a Reshape's
 * target from Shape, Gather, Unsqueeze and Concat): folded to a constant, and the graph computes
 * the same values after folding as before.
 */
class ConstantFolderTest {
    static OnnxModel flattenBySubgraph() {
        GraphBuilder b = new GraphBuilder("fold", 17);
        b.input("x", "N", 3L, 4L, 4L);
        b.node("Shape", "shape", List.of("x"));
        b.weight("zero", Tensor.vector(0));
        b.node("Gather", "n", List.of("shape", "zero"), Attribute.of("axis", 0L));
        b.weight("rest", Tensor.vector(-1));
        b.node("Concat", "target", List.of("n", "rest"), Attribute.of("axis", 0L));
        b.node("Reshape", "flat", List.of("x", "target"));
        b.weight("two", TinyRuntime.doubles(new long[0], 2.0));
        b.node("Mul", "y", List.of("flat", "two"));
        return b.output("y");
    }

    @Test
    void aShapeSubgraphFoldsToTheConstantItComputes() {
        OnnxModel m = flattenBySubgraph();
        double[] x = new double[2 * 3 * 4 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.sin(i * 0.7);
        }
        Map<String, Tensor> in = Map.of("x", TinyRuntime.doubles(new long[] {2, 3, 4, 4}, x));
        double[] before = TinyRuntime.run(m.graph, in).get("y").doubles();
        Map<String, long[]> shapes = new HashMap<>(Map.of("x", new long[] {2, 3, 4, 4}));
        int folded = ConstantFolder.fold(m.graph, shapes);
        assertEquals(3, folded, "Shape, Gather and Concat folded");
        assertEquals(List.of("Reshape", "Mul"), m.graph.nodes.stream().map(Node::opType).toList());
        assertArrayEquals(new long[] {2, -1}, m.graph.initializers.get("target").longs(), "the target for this batch");
        Map<String, Tensor> after = TinyRuntime.run(m.graph, in);
        assertArrayEquals(new long[] {2, 48}, after.get("y").shape());
        assertArrayEquals(before, after.get("y").doubles(), "the same values");
        assertTrue(after.get("y").doubles()[5] != 0, "and not zero");
    }

    @Test
    void whatDependsOnTheInputIsNotFolded() {
        OnnxModel m = flattenBySubgraph();
        ConstantFolder.fold(m.graph, new HashMap<>(Map.of("x", new long[] {2, 3, 4, 4})));
        assertTrue(m.graph.nodes.stream().anyMatch(n -> n.opType().equals("Mul")), "Mul of the input stays");
        assertTrue(m.graph.initializers.get("y") == null, "the output is never replaced by a constant");
    }
}
