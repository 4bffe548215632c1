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
        private OrtSession backward;

        Sessions(OrtSession forward, java.util.function.Supplier<OrtSession> backwardFactory) {
            this.forward = forward;
            this.backwardFactory = backwardFactory;
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
        }
    }

    private final OnnxBackend backend;
    private final String imageName;
    private final IntFunction<Sessions> build;
    private final Map<Integer, Sessions> sessions = new HashMap<>();

    OnnxDifferentiator(OnnxBackend backend, InputSpec input, String imageName, Map<String, String> tensorOf, Map<String, long[]> shapes,
            int maxBatch, IntFunction<Sessions> build) {
        super(input, tensorOf, shapes, maxBatch);
        this.backend = backend;
        this.imageName = imageName;
        this.build = build;
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
    }
}
