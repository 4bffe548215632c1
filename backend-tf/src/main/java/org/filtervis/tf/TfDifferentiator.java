package org.filtervis.tf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.kit.BackendDifferentiator;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Session.Runner;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * The general path on TensorFlow: per batch size, one graph with the activations an objective
 * reads (in the ONNX model's layout: tensors the lowering keeps NHWC are transposed back), a seed
 * placeholder for each, and TensorFlow's symbolic gradient of the seeded sum to the image.
 */
final class TfDifferentiator extends BackendDifferentiator {
    /** Lowers the network for a batch into a graph: the image placeholder, and each layer's value by name. */
    interface Network {
        Map<String, TfLowering.Value> build(TfOps tf, int batch);
    }

    /**
     * {@code saved}: the forward tensors the gradient's operations read; fetched with the
     * activations and fed back, they let the gradient run without running the network again.
     */
    private record Built(Graph graph, Session session, String image, List<Output<?>> activations, List<TfLowering.Value> lowered,
            List<String> seeds, Output<?> gradient, List<Output<?>> gradientsAt, List<Output<?>> saved) {}

    private final TfBackend backend;
    private final Network network;
    /** The ONNX graph lowered, to check that a run from a layer does not need the image. */
    private final org.filtervis.graph.Graph onnx;
    private final Map<Integer, Built> built = new HashMap<>();

    TfDifferentiator(TfBackend backend, InputSpec input, Map<String, String> tensorOf, Map<String, long[]> shapes, int maxBatch, Network network,
            org.filtervis.graph.Graph onnx) {
        super(input, tensorOf, shapes, maxBatch);
        this.backend = backend;
        this.network = network;
        this.onnx = onnx;
    }

    private Built built(int n) {
        Built b = built.get(n);
        if (b != null) {
            return b;
        }
        b = TfOps.inNewGraph(graph -> {
            TfOps tf = new TfOps(graph);
            Map<String, TfLowering.Value> values = network.build(tf, n);
            List<Output<?>> activations = new ArrayList<>();
            List<TfLowering.Value> lowered = new ArrayList<>();
            List<String> seeds = new ArrayList<>();
            Output<?> loss = null;
            for (Map.Entry<String, String> e : tensorOf.entrySet()) {
                TfLowering.Value v = values.get(e.getValue());
                lowered.add(v);
                activations.add(v.nhwc() ? tf.transpose(v.out(), 0, 3, 1, 2) : v.out());
            }
            java.util.Set<String> forwardOps = new java.util.HashSet<>();
            graph.operations().forEachRemaining(op -> forwardOps.add(op.name()));
            int i = 0;
            for (Map.Entry<String, String> e : tensorOf.entrySet()) {
                Output<?> a = activations.get(i);
                long[] dims = batchDims(n, shapes.get(e.getKey()));
                Output<?> seed = tf.placeholder("filtervis_seed_" + i, DataType.DT_FLOAT, dims);
                seeds.add(seed.op().name());
                int[] axes = new int[dims.length];
                java.util.Arrays.setAll(axes, k -> k);
                Output<?> term = tf.sum(tf.op("Mul", "seeded_" + i, a, seed), false, axes);
                loss = loss == null ? term : tf.op("AddV2", "loss_" + i, loss, term);
                i++;
            }
            Output<?> image = values.get("").out();
            // The image's gradient, and each layer's (for tensorGradients), in the model's layout.
            Output<?>[] wrt = new Output<?>[lowered.size() + 1];
            wrt[0] = image;
            for (int k = 0; k < lowered.size(); k++) {
                wrt[k + 1] = lowered.get(k).out();
            }
            Output<?>[] grads = TfOps.gradients(graph, loss, wrt);
            if (grads[0] == null) {
                throw FiltervisException.usage("layers " + tensorOf.keySet() + " do not depend on the image input; pick others (filtervis layers)");
            }
            // Every forward tensor an operation added after the network reads (the seeded sum and the gradient).
            java.util.LinkedHashSet<Output<?>> saved = new java.util.LinkedHashSet<>();
            graph.operations().forEachRemaining(op -> {
                if (!forwardOps.contains(op.name())) {
                    for (int k = 0; k < op.numInputs(); k++) {
                        Output<?> in = op.input(k);
                        String type = in.op().type();
                        if (forwardOps.contains(in.op().name()) && !type.equals("Placeholder") && !type.equals("Const")) {
                            saved.add(in);
                        }
                    }
                }
            });
            // The activations are fetched anyway (and a run's outputs must have distinct names).
            activations.forEach(saved::remove);
            List<Output<?>> at = new ArrayList<>();
            for (int k = 0; k < lowered.size(); k++) {
                at.add(lowered.get(k).nhwc() ? tf.transpose(grads[k + 1], 0, 3, 1, 2) : grads[k + 1]);
            }
            return new Built(graph, new Session(graph, backend.config()), image.op().name(), activations, lowered, seeds, grads[0], at,
                    List.copyOf(saved));
        });
        built.put(n, b);
        return b;
    }

    @Override
    public Map<String, float[]> activations(float[] images, int n) {
        Built b = built(n);
        try (TFloat32 x = TFloat32.tensorOf(Shape.of(imageDims(n)), DataBuffers.of(images, true, false))) {
            Runner r = b.session().runner().feed(b.image(), x);
            b.activations().forEach(r::fetch);
            try (Result result = NativeStderr.quiet(r::run)) {
                return byLayer(result);
            }
        }
    }

    /** Seeds given up front: one run fetching the activations and the gradient. */
    @Override
    public Map<String, float[]> activationsAndGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
        Built b = built(n);
        List<Output<?>> fetches = new ArrayList<>(b.activations());
        fetches.add(b.gradient());
        float[][] out = run(b, images, n, seeds, fetches);
        System.arraycopy(out[out.length - 1], 0, gradient, 0, images.length);
        Map<String, float[]> activations = new LinkedHashMap<>();
        int i = 0;
        for (String layer : tensorOf.keySet()) {
            activations.put(layer, out[i++]);
        }
        return activations;
    }

    /**
     * One forward pass: the first run fetches the activations and the saved tensors, the second
     * feeds them back with the seeds, so TensorFlow runs only the gradient's operations.
     */
    @Override
    public Map<String, float[]> activationsAndGradient(float[] images, int n, java.util.function.Function<Map<String, float[]>, Map<String, float[]>> seeder,
            float[] gradient) {
        Built b = built(n);
        List<TFloat32> fed = new ArrayList<>();
        try (TFloat32 x = TFloat32.tensorOf(Shape.of(imageDims(n)), DataBuffers.of(images, true, false))) {
            Runner first = b.session().runner().feed(b.image(), x);
            b.activations().forEach(first::fetch);
            b.saved().forEach(first::fetch);
            try (Result forward = NativeStderr.quiet(first::run)) {
                Map<String, float[]> activations = byLayer(forward);
                Map<String, float[]> seeds = seeder.apply(activations);
                Runner second = b.session().runner().feed(b.image(), x);
                for (int k = 0; k < b.activations().size(); k++) {
                    second.feed(b.activations().get(k), forward.get(k));
                }
                for (int k = 0; k < b.saved().size(); k++) {
                    second.feed(b.saved().get(k), forward.get(b.activations().size() + k));
                }
                feedSeeds(second, b, n, seeds, fed);
                second.fetch(b.gradient());
                try (Result result = second.run()) {
                    ((TFloat32) result.get(0)).copyTo(DataBuffers.of(gradient, false, false).slice(0, images.length));
                }
                return activations;
            }
        } finally {
            fed.forEach(TFloat32::close);
        }
    }

    /** Feeds the layer's lowered tensor itself (TensorFlow runs only what the fetches need past a fed tensor). */
    @Override
    public Map<String, float[]> activationsFrom(String layer, float[] values, int n, List<String> outputs) {
        org.filtervis.graph.GraphPrep.nodesFrom(onnx, tensorOf.get(layer), outputs.stream().map(tensorOf::get).toList());
        Built b = built(n);
        List<String> layers = List.copyOf(tensorOf.keySet());
        TfLowering.Value v = b.lowered().get(layers.indexOf(layer));
        long[] dims = batchDims(n, shapes.get(layer));
        float[] fed = values;
        long[] fedDims = dims;
        if (v.nhwc()) {
            fed = toNhwc(values, dims);
            fedDims = new long[] {dims[0], dims[2], dims[3], dims[1]};
        }
        try (TFloat32 t = TFloat32.tensorOf(Shape.of(fedDims), DataBuffers.of(fed, true, false))) {
            Runner r = b.session().runner().feed(v.out(), t);
            outputs.forEach(o -> r.fetch(b.activations().get(layers.indexOf(o))));
            try (Result result = NativeStderr.quiet(r::run)) {
                Map<String, float[]> out = new LinkedHashMap<>();
                for (int i = 0; i < outputs.size(); i++) {
                    out.put(outputs.get(i), floats(result.get(i)));
                }
                return out;
            }
        }
    }

    /** The activations a run fetched first (in {@code tensorOf}'s order), by layer. */
    private Map<String, float[]> byLayer(Result result) {
        Map<String, float[]> out = new LinkedHashMap<>();
        int i = 0;
        for (String layer : tensorOf.keySet()) {
            out.put(layer, floats(result.get(i++)));
        }
        return out;
    }

    /** A fetched float tensor's values, copied out. */
    private static float[] floats(org.tensorflow.Tensor fetched) {
        TFloat32 t = (TFloat32) fetched;
        float[] a = new float[(int) t.size()];
        t.copyTo(DataBuffers.of(a, false, false));
        return a;
    }

    private static float[] toNhwc(float[] nchw, long[] dims) {
        int n = (int) dims[0];
        int c = (int) dims[1];
        int hw = (int) (dims[2] * dims[3]);
        float[] out = new float[nchw.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) {
                    out[(i * hw + p) * c + ch] = nchw[(i * c + ch) * hw + p];
                }
            }
        }
        return out;
    }

    @Override
    public void inputGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
        Built b = built(n);
        float[][] out = run(b, images, n, seeds, List.of(b.gradient()));
        System.arraycopy(out[0], 0, gradient, 0, images.length);
    }

    @Override
    public Map<String, float[]> tensorGradients(float[] images, int n, Map<String, float[]> seeds, List<String> wrt) {
        Built b = built(n);
        List<String> layers = List.copyOf(tensorOf.keySet());
        float[][] out = run(b, images, n, seeds, wrt.stream().<Output<?>>map(w -> b.gradientsAt().get(layers.indexOf(w))).toList());
        Map<String, float[]> result = new LinkedHashMap<>();
        for (int i = 0; i < wrt.size(); i++) {
            result.put(wrt.get(i), out[i]);
        }
        return result;
    }

    /** Feeds each layer's seed (zeros where {@code seeds} has none) to its placeholder; the tensors go to {@code fed}, for the caller to close. */
    private void feedSeeds(Runner r, Built b, int n, Map<String, float[]> seeds, List<TFloat32> fed) {
        int i = 0;
        for (String layer : tensorOf.keySet()) {
            long[] dims = batchDims(n, shapes.get(layer));
            float[] seed = seeds.getOrDefault(layer, new float[(int) org.filtervis.graph.Tensor.elements(dims)]);
            TFloat32 t = TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(seed, true, false));
            fed.add(t);
            r.feed(b.seeds().get(i++), t);
        }
    }

    /** The seeded graph for {@code n} images, fetching {@code fetches}. */
    private float[][] run(Built b, float[] images, int n, Map<String, float[]> seeds, List<Output<?>> fetches) {
        List<TFloat32> fed = new ArrayList<>();
        try (TFloat32 x = TFloat32.tensorOf(Shape.of(imageDims(n)), DataBuffers.of(images, true, false))) {
            Runner r = b.session().runner().feed(b.image(), x);
            feedSeeds(r, b, n, seeds, fed);
            fetches.forEach(r::fetch);
            try (Result result = r.run()) {
                float[][] out = new float[fetches.size()][];
                for (int k = 0; k < out.length; k++) {
                    out[k] = floats(result.get(k));
                }
                return out;
            }
        } finally {
            fed.forEach(TFloat32::close);
        }
    }

    @Override
    public void close() {
        built.values().forEach(b -> {
            b.session().close();
            b.graph().close();
        });
        built.clear();
    }
}
