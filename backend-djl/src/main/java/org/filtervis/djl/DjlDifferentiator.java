package org.filtervis.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.kit.BackendDifferentiator;

/**
 * The general path on PyTorch: the lowered graph run eagerly to the tensors an objective reads,
 * and autograd from the host's seeds back to the images. Each call runs in its own sub-manager,
 * closed after it; the seeds are arrays of that scope, alive until the backward pass is done.
 */
final class DjlDifferentiator extends BackendDifferentiator {
    private final DjlBackend backend;
    private final DjlGraph graph;
    private final NDManager weights;
    private final String inputName;

    DjlDifferentiator(DjlBackend backend, DjlGraph graph, NDManager weights, InputSpec input, String inputName, Map<String, String> tensorOf,
            Map<String, long[]> shapes) {
        super(input, tensorOf, shapes, Integer.MAX_VALUE);
        this.backend = backend;
        this.graph = graph;
        this.weights = weights;
        this.inputName = inputName;
    }

    @Override
    public Map<String, float[]> activations(float[] images, int n) {
        try (NDManager scope = backend.root().newSubManager()) {
            Map<String, NDArray> values = graph.run(inputName, scope.create(images, new Shape(imageDims(n))), scope);
            Map<String, float[]> out = new LinkedHashMap<>();
            tensorOf.forEach((layer, tensor) -> out.put(layer, values.get(tensor).toFloatArray()));
            return out;
        }
    }

    @Override
    public Map<String, float[]> activationsFrom(String layer, float[] values, int n, List<String> outputs) {
        try (NDManager scope = backend.root().newSubManager()) {
            NDArray given = scope.create(values, new Shape(batchDims(n, shapes.get(layer))));
            Map<String, NDArray> computed = graph.runFrom(tensorOf.get(layer), given, outputs.stream().map(tensorOf::get).toList(), scope);
            Map<String, float[]> out = new LinkedHashMap<>();
            outputs.forEach(o -> out.put(o, computed.get(tensorOf.get(o)).toFloatArray()));
            return out;
        }
    }

    /** One forward pass: autograd's tape holds what the backward pass needs while the host computes the seeds. */
    @Override
    public Map<String, float[]> activationsAndGradient(float[] images, int n, java.util.function.Function<Map<String, float[]>, Map<String, float[]>> seeder,
            float[] gradient) {
        try (NDManager scope = backend.root().newSubManager(); GradientCollector gc = backend.engine().newGradientCollector()) {
            NDArray x = scope.create(images, new Shape(imageDims(n)));
            x.setRequiresGradient(true);
            Map<String, NDArray> values = graph.run(inputName, x, scope);
            Map<String, float[]> activations = new LinkedHashMap<>();
            tensorOf.forEach((layer, tensor) -> activations.put(layer, values.get(tensor).toFloatArray()));
            NDArray loss = seeded(values, seeder.apply(activations), scope);
            if (loss == null) {
                java.util.Arrays.fill(gradient, 0, images.length, 0f);
            } else {
                gc.backward(loss);
                System.arraycopy(x.getGradient().toFloatArray(), 0, gradient, 0, images.length);
            }
            return activations;
        }
    }

    @Override
    public void inputGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
        try (NDManager scope = backend.root().newSubManager(); GradientCollector gc = backend.engine().newGradientCollector()) {
            NDArray x = scope.create(images, new Shape(imageDims(n)));
            x.setRequiresGradient(true);
            NDArray loss = seeded(graph.run(inputName, x, scope), seeds, scope);
            if (loss == null) {
                java.util.Arrays.fill(gradient, 0, images.length, 0f);
                return;
            }
            gc.backward(loss);
            System.arraycopy(x.getGradient().toFloatArray(), 0, gradient, 0, images.length);
        }
    }

    @Override
    public Map<String, float[]> tensorGradients(float[] images, int n, Map<String, float[]> seeds, List<String> wrt) {
        try (NDManager scope = backend.root().newSubManager(); GradientCollector gc = backend.engine().newGradientCollector()) {
            NDArray x = scope.create(images, new Shape(imageDims(n)));
            Map<String, NDArray> first = graph.run(inputName, x, scope);
            // The layers asked for become leaves of autograd: the second pass starts from copies of their values.
            Map<String, NDArray> leaves = new LinkedHashMap<>();
            for (String w : wrt) {
                NDArray leaf = first.get(tensorOf.get(w)).duplicate();
                leaf.setRequiresGradient(true);
                leaves.put(tensorOf.get(w), leaf);
            }
            NDArray loss = seeded(graph.run(inputName, x, scope, leaves), seeds, scope);
            if (loss != null) {
                gc.backward(loss);
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            // Without a seed nothing reached the leaves: DJL gives zeros for a gradient never computed.
            wrt.forEach(w -> out.put(w, leaves.get(tensorOf.get(w)).getGradient().toFloatArray()));
            return out;
        }
    }

    /** sum over layers of sum(seed * activation), the arrays in {@code scope}; null without seeds. */
    private NDArray seeded(Map<String, NDArray> values, Map<String, float[]> seeds, NDManager scope) {
        NDArray loss = null;
        for (Map.Entry<String, String> e : tensorOf.entrySet()) {
            float[] seed = seeds.get(e.getKey());
            if (seed == null) {
                continue;
            }
            NDArray a = values.get(e.getValue());
            NDArray term = a.mul(scope.create(seed, a.getShape())).sum();
            loss = loss == null ? term : loss.add(term);
        }
        return loss;
    }

    @Override
    public void close() {
        weights.close();
    }
}
