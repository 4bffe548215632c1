package org.filtervis.graph.kit;

import org.filtervis.api.InputSpec;
import org.filtervis.graph.Graph;
import org.filtervis.graph.GraphPrep;
import org.filtervis.graph.OnnxModel;

/** An ONNX model ready for a backend that lowers it: prepared (constants folded, opset 17) with its image input described. */
public record PreparedModel(OnnxModel model, InputSpec input) {
    public static PreparedModel of(OnnxModel source) {
        OnnxModel prepared = GraphPrep.prepare(source);
        return new PreparedModel(prepared, GraphPrep.inputSpec(prepared.graph, GraphPrep.imageInput(prepared.graph)));
    }

    public Graph graph() {
        return model.graph;
    }

    /** Dims of a batch of images of the given size in the model's input layout. */
    public long[] imageDims(int batch, int height, int width) {
        return GraphPrep.imageDims(input, batch, height, width);
    }

    /** The model for a batch and size, cut to what {@code outputs} depend on. */
    public OnnxModel cut(int batch, int height, int width, java.util.Set<String> outputs) {
        return GraphPrep.cut(model, imageDims(batch, height, width), outputs);
    }

    /** The model's own batch size where it fixes one, else 0. */
    public int fixedBatch() {
        return (int) Math.max(0, GraphPrep.imageInput(model.graph).dim(0));
    }
}
