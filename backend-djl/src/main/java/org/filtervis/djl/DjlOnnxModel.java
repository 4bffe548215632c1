package org.filtervis.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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

/** An ONNX model run by PyTorch through DJL: the graph lowered op by op, differentiated by autograd. */
final class DjlOnnxModel implements Model {
    private final DjlBackend backend;
    private final PreparedModel prepared;
    /** The model's own batch size where it fixes one, else 1. */
    private final int batch;

    DjlOnnxModel(DjlBackend backend, OnnxModel model) {
        this.backend = backend;
        this.prepared = PreparedModel.of(model);
        this.batch = Math.max(1, prepared.fixedBatch());
    }

    @Override
    public InputSpec input() {
        return prepared.input();
    }

    /** Runs the graph cut at {@code outputs} once on zeros; returns the shapes of what it computed. */
    private Map<String, long[]> probe(Set<String> outputs, int height, int width) {
        OnnxModel cut = prepared.cut(batch, height, width, outputs);
        try (NDManager scope = backend.root().newSubManager()) {
            DjlGraph graph = new DjlGraph(cut.graph, scope);
            NDArray zeros = scope.zeros(new Shape(prepared.imageDims(batch, height, width)));
            Map<String, long[]> shapes = new java.util.HashMap<>();
            try {
                graph.run(prepared.input().name(), zeros, scope).forEach((k, v) -> shapes.put(k, v.getShape().getShape()));
            } catch (ai.djl.engine.EngineException | IllegalArgumentException e) {
                throw GraphPrep.wrongSize(prepared.input(), height, width, e.getMessage());
            }
            return shapes;
        }
    }

    @Override
    public List<LayerInfo> layers(int height, int width) {
        Set<String> all = GraphPrep.allNodeOutputs(prepared.graph());
        return LayerSuggestions.layers(prepared.graph(), probe(all, height, width));
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
        org.filtervis.graph.kit.BackendGradients.requireBorder(border);
        if (height < 1 || width < 1) {
            throw FiltervisException.usage("image size " + height + "x" + width + " is not positive; use --size with a positive number");
        }
        String tensor = GraphPrep.resolveLayer(prepared.graph(), layer);
        long[] shape = probe(Set.of(tensor), height, width).get(tensor);
        if (shape == null || shape.length < 2) {
            throw FiltervisException.usage("layer '" + layer + "' is not a float tensor with a channel axis; pick another (filtervis layers)");
        }
        OnnxModel cut = prepared.cut(1, height, width, Set.of(tensor));
        NDManager weights = backend.root().newSubManager();
        DjlGraph graph = new DjlGraph(cut.graph, weights);
        return new DjlGradients(backend, prepared.input().withSize(height, width), (int) shape[1], border,
                (x, scope) -> graph.run(prepared.input().name(), x, scope).get(tensor)) {
            @Override
            public void close() {
                weights.close();
            }
        };
    }

    @Override
    public java.util.Optional<org.filtervis.api.Differentiator> differentiator(List<String> layers, int height, int width) {
        if (height < 1 || width < 1) {
            throw FiltervisException.usage("image size " + height + "x" + width + " is not positive; use --size with a positive number");
        }
        Map<String, String> tensorOf = org.filtervis.graph.kit.BackendDifferentiator.resolve(prepared.graph(), layers);
        Map<String, long[]> probed = probe(Set.copyOf(tensorOf.values()), height, width);
        Map<String, long[]> shapes = org.filtervis.graph.kit.BackendDifferentiator.perImage(tensorOf, probed);
        OnnxModel cut = prepared.cut(1, height, width, Set.copyOf(tensorOf.values()));
        NDManager weights = backend.root().newSubManager();
        return java.util.Optional.of(new DjlDifferentiator(backend, new DjlGraph(cut.graph, weights), weights, prepared.input().withSize(height, width),
                prepared.input().name(), tensorOf, shapes));
    }

    static String firstLine(String s) {
        return org.filtervis.graph.Operators.firstLine(s);
    }

    @Override
    public void close() {}
}
