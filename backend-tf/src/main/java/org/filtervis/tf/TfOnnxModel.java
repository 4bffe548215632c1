package org.filtervis.tf;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.graph.GraphPrep;
import org.filtervis.graph.LayerSuggestions;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.kit.PreparedModel;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.proto.DataType;

/** An ONNX model run by TensorFlow: the graph lowered to TensorFlow ops, differentiated symbolically. */
final class TfOnnxModel implements Model {
    private final TfBackend backend;
    private final PreparedModel prepared;

    TfOnnxModel(TfBackend backend, OnnxModel model) {
        this.backend = backend;
        this.prepared = PreparedModel.of(model);
    }

    @Override
    public InputSpec input() {
        return prepared.input();
    }

    /** Lowers {@code cut} for a batch into {@code tf}'s graph: the image placeholder and every lowered tensor. */
    private Map<String, TfLowering.Value> lower(OnnxModel cut, TfOps tf, int batch, int height, int width) {
        Output<?> image = tf.placeholder("image", DataType.DT_FLOAT, prepared.imageDims(batch, height, width));
        try {
            Map<String, TfLowering.Value> values = new HashMap<>(new TfLowering(cut.graph, tf).lower(prepared.input().name(), image));
            values.put("", new TfLowering.Value(image, false));
            return values;
        } catch (IllegalArgumentException e) {
            throw GraphPrep.wrongSize(prepared.input(), height, width, e.getMessage());
        }
    }

    /** Logical shapes of {@code outputs} for one batch, from TensorFlow's static shapes. */
    private Map<String, long[]> probe(Set<String> outputs, int batch, int height, int width) {
        OnnxModel cut = prepared.cut(batch, height, width, outputs);
        try (Graph g = new Graph()) {
            Map<String, long[]> shapes = new HashMap<>();
            lower(cut, new TfOps(g), batch, height, width).forEach((k, v) -> shapes.put(k, TfLowering.shape(v)));
            return shapes;
        }
    }

    @Override
    public List<LayerInfo> layers(int height, int width) {
        Set<String> all = GraphPrep.allNodeOutputs(prepared.graph());
        return LayerSuggestions.layers(prepared.graph(), probe(all, Math.max(1, prepared.fixedBatch()), height, width));
    }

    @Override
    public java.util.Optional<org.filtervis.api.ReceptiveField> receptiveField(String layer) {
        return org.filtervis.graph.ReceptiveFields.of(prepared.graph(), GraphPrep.resolveLayer(prepared.graph(), layer));
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width) {
        return gradients(layer, height, width, KERAS_BORDER);
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width, int border) {
        if (height < 1 || width < 1) {
            throw FiltervisException.usage("image size " + height + "x" + width + " is not positive; use --size with a positive number");
        }
        String tensor = GraphPrep.resolveLayer(prepared.graph(), layer);
        int fixed = prepared.fixedBatch();
        long[] shape = probe(Set.of(tensor), Math.max(1, fixed), height, width).get(tensor);
        if (shape == null || shape.length < 2) {
            throw FiltervisException.usage("layer '" + layer + "' is not a float tensor with a channel axis; pick another (filtervis layers)");
        }
        int maxBatch = Integer.MAX_VALUE;
        if (fixed > 0) {
            try {
                probe(Set.of(tensor), fixed + 1, height, width);
            } catch (FiltervisException e) {
                maxBatch = fixed;
            }
        }
        OnnxModel cut = prepared.cut(1, height, width, Set.of(tensor));
        GraphPrep.foldBatchNorm(cut.graph, Set.of(tensor));
        return new TfGradients(backend, prepared.input().withSize(height, width), (int) shape[1], maxBatch, border, (tf, batch) -> {
            Map<String, TfLowering.Value> values = lower(cut, tf, batch, height, width);
            TfLowering.Value v = values.get(tensor);
            return new TfGradients.Activation(values.get("").out(), v.out(), v.nhwc() ? 3 : 1);
        }).checked(Math.max(1, fixed));
    }

    @Override
    public java.util.Optional<org.filtervis.api.Differentiator> differentiator(List<String> layers, int height, int width) {
        if (height < 1 || width < 1) {
            throw FiltervisException.usage("image size " + height + "x" + width + " is not positive; use --size with a positive number");
        }
        Map<String, String> tensorOf = org.filtervis.graph.kit.BackendDifferentiator.resolve(prepared.graph(), layers);
        Set<String> tensors = Set.copyOf(tensorOf.values());
        int fixed = prepared.fixedBatch();
        Map<String, long[]> probed = probe(tensors, Math.max(1, fixed), height, width);
        Map<String, long[]> shapes = org.filtervis.graph.kit.BackendDifferentiator.perImage(tensorOf, probed);
        OnnxModel cut = prepared.cut(1, height, width, tensors);
        GraphPrep.foldBatchNorm(cut.graph, tensors);
        return java.util.Optional.of(new TfDifferentiator(backend, prepared.input().withSize(height, width), tensorOf, shapes,
                fixed > 0 ? fixed : Integer.MAX_VALUE, (tf, batch) -> lower(cut, tf, batch, height, width), cut.graph));
    }

    @Override
    public void close() {}
}
