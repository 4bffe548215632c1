package org.filtervis.graph;

import java.util.LinkedHashMap;
import java.util.Map;

/** An ONNX model: its graph, operator set versions by domain ("" is the default domain), metadata. */
public final class OnnxModel {
    public long irVersion = 8;
    public String producerName = "filtervis";
    public String producerVersion = "";
    public final Map<String, Long> opsets = new LinkedHashMap<>();
    public final Map<String, String> metadata = new LinkedHashMap<>();
    public Graph graph;

    public OnnxModel(Graph graph, long defaultOpset) {
        this.graph = graph;
        opsets.put("", defaultOpset);
    }

    /** The version of the default ONNX operator set. */
    public long opset() {
        return opsets.getOrDefault("", opsets.getOrDefault("ai.onnx", 1L));
    }

    public OnnxModel copy() {
        OnnxModel m = new OnnxModel(graph.copy(), opset());
        m.irVersion = irVersion;
        m.producerName = producerName;
        m.producerVersion = producerVersion;
        m.opsets.putAll(opsets);
        m.metadata.putAll(metadata);
        return m;
    }
}
