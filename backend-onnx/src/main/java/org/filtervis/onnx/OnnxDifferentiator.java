package org.filtervis.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.kit.BackendDifferentiator;
import org.filtervis.graph.GradientGraph;

/**
 * The general path on ONNX Runtime: per batch size, one session of the network cut to the tensors
 * an objective reads (their activations), and one of our backward graph from seed inputs at those
 * tensors to the image ({@link GradientGraph#buildSeeded}).
 */
final class OnnxDifferentiator extends BackendDifferentiator {
    /** The two sessions for one batch size. */
    /** One batch size's sessions: the forward model, and the backward one built on first use (a scan of activations never needs it). */
    static final class Sessions {
        private final OrtSession forward;
        private final java.util.function.Supplier<OrtSession> backwardFactory;
        private final java.util.function.Supplier<Split> splitFactory;
        private OrtSession backward;
        private Split split;

        Sessions(OrtSession forward, java.util.function.Supplier<OrtSession> backwardFactory, java.util.function.Supplier<Split> splitFactory) {
            this.forward = forward;
            this.backwardFactory = backwardFactory;
            this.splitFactory = splitFactory;
        }

        Split split() {
            if (split == null) {
                split = splitFactory.get();
            }
            return split;
        }

        OrtSession forward() {
            return forward;
        }

        OrtSession backward() {
            if (backward == null) {
                backward = backwardFactory.get();
            }
            return backward;
        }

        void close() throws OrtException {
            forward.close();
            if (backward != null) {
                backward.close();
            }
            if (split != null) {
                split.forward().close();
                split.backward().close();
            }
        }
    }

    /** The seeded model split in two ({@link GradientGraph#split}): forward keeps what backward reads. */
    record Split(OrtSession forward, OrtSession backward, List<String> saved, boolean backwardReadsImage) {}

    private final OnnxBackend backend;
    private final String imageName;
    private final IntFunction<Sessions> build;
    private final Map<Integer, Sessions> sessions = new HashMap<>();

    /** Builds a session running on from one tensor (given as an input of the given dims) to some outputs. */
    interface FromBuilder {
        OrtSession build(String from, long[] fromDims, java.util.Set<String> outputs);
    }

    private final FromBuilder fromBuilder;
    /** Sessions running on from a layer, by layer, batch size and outputs. */
    private final Map<List<Object>, OrtSession> fromSessions = new HashMap<>();

    OnnxDifferentiator(OnnxBackend backend, InputSpec input, String imageName, Map<String, String> tensorOf, Map<String, long[]> shapes,
            int maxBatch, IntFunction<Sessions> build, FromBuilder fromBuilder) {
        super(input, tensorOf, shapes, maxBatch);
        this.backend = backend;
        this.imageName = imageName;
        this.build = build;
        this.fromBuilder = fromBuilder;
    }

    private OnnxTensor tensor(float[] values, long[] dims) throws OrtException {
        return OnnxTensor.createTensor(backend.env(), FloatBuffer.wrap(values), dims);
    }

    @Override
    public Map<String, float[]> activations(float[] images, int n) {
        Sessions s = sessions.computeIfAbsent(n, build::apply);
        try (OnnxTensor image = tensor(images, imageDims(n)); OrtSession.Result result = s.forward().run(Map.of(imageName, image))) {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : tensorOf.entrySet()) {
                OnnxValue v = result.get(e.getValue()).orElseThrow(() -> new IllegalStateException("no output " + e.getValue()));
                FloatBuffer b = ((OnnxTensor) v).getFloatBuffer();
                float[] a = new float[b.remaining()];
                b.get(a);
                out.put(e.getKey(), a);
            }
            return out;
        } catch (OrtException e) {
            throw FiltervisException.failure("ONNX Runtime failed running the model: " + OnnxBackend.firstLine(e.getMessage()), e);
        }
    }

    @Override
    public Map<String, float[]> activationsFrom(String layer, float[] values, int n, List<String> outputs) {
        String from = tensorOf.get(layer);
        long[] dims = batchDims(n, shapes.get(layer));
        java.util.Set<String> wanted = new java.util.LinkedHashSet<>();
        outputs.forEach(o -> wanted.add(tensorOf.get(o)));
        OrtSession session = fromSessions.computeIfAbsent(List.of(from, n, List.copyOf(wanted)), key -> fromBuilder.build(from, dims, wanted));
        try (OnnxTensor given = tensor(values, dims); OrtSession.Result result = session.run(Map.of(from, given))) {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String o : outputs) {
                FloatBuffer b = ((OnnxTensor) result.get(tensorOf.get(o)).orElseThrow()).getFloatBuffer();
                float[] a = new float[b.remaining()];
                b.get(a);
                out.put(o, a);
            }
            return out;
        } catch (OrtException e) {
            throw FiltervisException.failure("ONNX Runtime failed running the model on from '" + layer + "': " + OnnxBackend.firstLine(e.getMessage()), e);
        }
    }

    /** One forward pass: the split model's forward half hands its saved tensors straight to the backward half. */
    @Override
    public Map<String, float[]> activationsAndGradient(float[] images, int n, java.util.function.Function<Map<String, float[]>, Map<String, float[]>> seeder,
            float[] gradient) {
        Split split = sessions.computeIfAbsent(n, build::apply).split();
        Map<String, OnnxTensor> seedTensors = new HashMap<>();
        try (OnnxTensor image = tensor(images, imageDims(n)); OrtSession.Result forward = split.forward().run(Map.of(imageName, image))) {
            Map<String, float[]> activations = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : tensorOf.entrySet()) {
                FloatBuffer b = ((OnnxTensor) forward.get(e.getValue()).orElseThrow()).getFloatBuffer();
                float[] a = new float[b.remaining()];
                b.get(a);
                activations.put(e.getKey(), a);
            }
            Map<String, float[]> seeds = seeder.apply(activations);
            Map<String, OnnxTensor> feed = new HashMap<>();
            int i = 0;
            for (String layer : tensorOf.keySet()) {
                float[] seed = seeds.get(layer);
                long[] d = batchDims(n, shapes.get(layer));
                OnnxTensor t = tensor(seed != null ? seed : new float[(int) org.filtervis.graph.Tensor.elements(d)], d);
                seedTensors.put(GradientGraph.seedName(i++), t);
            }
            feed.putAll(seedTensors);
            for (String saved : split.saved()) {
                feed.put(saved, (OnnxTensor) forward.get(saved).orElseThrow());
            }
            if (split.backwardReadsImage()) {
                feed.put(imageName, image);
            }
            try (OrtSession.Result result = split.backward().run(feed, java.util.Set.of(GradientGraph.GRADIENT))) {
                ((OnnxTensor) result.get(GradientGraph.GRADIENT).orElseThrow()).getFloatBuffer().get(gradient, 0, images.length);
            }
            return activations;
        } catch (OrtException e) {
            throw FiltervisException.failure("ONNX Runtime failed running the gradient model: " + OnnxBackend.firstLine(e.getMessage()), e);
        } finally {
            seedTensors.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void inputGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
        backward(images, n, seeds, List.of(GradientGraph.GRADIENT)).get(GradientGraph.GRADIENT).get(gradient, 0, images.length);
    }

    @Override
    public Map<String, float[]> tensorGradients(float[] images, int n, Map<String, float[]> seeds, List<String> wrt) {
        List<String> layers = List.copyOf(tensorOf.keySet());
        List<String> outputs = wrt.stream().map(w -> GradientGraph.gradientAtName(layers.indexOf(w))).toList();
        if (outputs.contains(GradientGraph.gradientAtName(-1))) {
            throw new IllegalArgumentException("gradients at " + wrt + ": only at " + layers);
        }
        Map<String, FloatBuffer> result = backward(images, n, seeds, outputs);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < wrt.size(); i++) {
            FloatBuffer b = result.get(outputs.get(i));
            float[] g = new float[b.remaining()];
            b.get(g);
            out.put(wrt.get(i), g);
        }
        return out;
    }

    /** Runs the backward session for {@code n} images and seeds, fetching {@code outputs} (copied out before the run's results close). */
    private Map<String, FloatBuffer> backward(float[] images, int n, Map<String, float[]> seeds, List<String> outputs) {
        Sessions s = sessions.computeIfAbsent(n, build::apply);
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put(imageName, tensor(images, imageDims(n)));
            int i = 0;
            for (String layer : tensorOf.keySet()) {
                float[] seed = seeds.get(layer);
                long[] d = batchDims(n, shapes.get(layer));
                feed.put(GradientGraph.seedName(i++), tensor(seed != null ? seed : new float[(int) org.filtervis.graph.Tensor.elements(d)], d));
            }
            try (OrtSession.Result result = s.backward().run(feed, new java.util.LinkedHashSet<>(outputs))) {
                Map<String, FloatBuffer> out = new HashMap<>();
                for (String name : outputs) {
                    OnnxValue v = result.get(name).orElseThrow(() -> new IllegalStateException("no output " + name));
                    FloatBuffer src = ((OnnxTensor) v).getFloatBuffer();
                    FloatBuffer copy = FloatBuffer.allocate(src.remaining());
                    copy.put(src).flip();
                    out.put(name, copy);
                }
                return out;
            }
        } catch (OrtException e) {
            throw FiltervisException.failure("ONNX Runtime failed running the gradient model: " + OnnxBackend.firstLine(e.getMessage()), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        for (Sessions s : sessions.values()) {
            try {
                s.close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        }
        sessions.clear();
        for (OrtSession s : fromSessions.values()) {
            try {
                s.close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        }
        fromSessions.clear();
    }
}
