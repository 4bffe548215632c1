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
    /** Builds one batch size's sessions for a thread count. */
    interface Build {
        Sessions build(int n, int threads);
    }

    private final Build build;
    /** Sessions by batch size and thread count. */
    private final Map<List<Integer>, Sessions> sessions = new HashMap<>();
    /** Above 1, a batch of at least this many images runs as that many parts at once, each on a single-threaded session. */
    private final int parts;
    private java.util.concurrent.ExecutorService workers;

    /** Builds a session running on from one tensor (given as an input of the given dims) to some outputs. */
    interface FromBuilder {
        OrtSession build(String from, long[] fromDims, java.util.Set<String> outputs);
    }

    private final FromBuilder fromBuilder;
    /** Sessions running on from a layer, by layer, batch size and outputs. */
    private final Map<List<Object>, OrtSession> fromSessions = new HashMap<>();

    OnnxDifferentiator(OnnxBackend backend, InputSpec input, String imageName, Map<String, String> tensorOf, Map<String, long[]> shapes,
            int maxBatch, Build build, FromBuilder fromBuilder, int parts) {
        super(input, tensorOf, shapes, maxBatch);
        this.backend = backend;
        this.imageName = imageName;
        this.build = build;
        this.parts = parts;
        this.fromBuilder = fromBuilder;
    }

    private OnnxTensor tensor(float[] values, long[] dims) throws OrtException {
        return OnnxTensor.createTensor(backend.env(), FloatBuffer.wrap(values), dims);
    }

    @Override
    public Map<String, float[]> activations(float[] images, int n) {
        Sessions s = sessions(n, backend.threads());
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

    private Sessions sessions(int n, int threads) {
        return sessions.computeIfAbsent(List.of(n, threads), k -> build.build(n, threads));
    }

    /** Whether a batch of {@code n} runs as {@link #parts} parts at once (free batch sizes only). */
    private boolean splits(int n) {
        return parts > 1 && n >= parts && maxBatch == Integer.MAX_VALUE;
    }

    /** Where part {@code p} of a batch of {@code n} starts (part {@code parts} starts at {@code n}). */
    private int partStart(int n, int p) {
        return (int) ((long) n * p / parts);
    }

    /** Runs {@code part} for every part, part 0 on the calling thread; the first failure is rethrown. */
    private void eachPart(java.util.function.IntConsumer part) {
        if (workers == null) {
            workers = java.util.concurrent.Executors.newFixedThreadPool(parts - 1, r -> {
                Thread t = new Thread(r, "filtervis-onnx");
                t.setDaemon(true);
                return t;
            });
        }
        List<java.util.concurrent.Future<?>> running = new java.util.ArrayList<>();
        for (int p = 1; p < parts; p++) {
            int q = p;
            running.add(workers.submit(() -> part.accept(q)));
        }
        RuntimeException failed = null;
        try {
            part.accept(0);
        } catch (RuntimeException e) {
            failed = e;
        }
        for (java.util.concurrent.Future<?> f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed = failed != null ? failed : new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                failed = failed != null ? failed : cause;
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** Images {@code from} to {@code to} of a batch of {@code values}, {@code per} floats each. */
    private static float[] slice(float[] values, int per, int from, int to) {
        return java.util.Arrays.copyOfRange(values, from * per, to * per);
    }

    private int perImage(String layer) {
        return (int) org.filtervis.graph.Tensor.elements(shapes.get(layer));
    }

    /** Each layer's activations of the parts, put back together in image order. */
    private Map<String, float[]> joined(int n, List<Map<String, float[]>> byPart) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String layer : tensorOf.keySet()) {
            int per = perImage(layer);
            float[] all = new float[n * per];
            for (int p = 0; p < parts; p++) {
                System.arraycopy(byPart.get(p).get(layer), 0, all, partStart(n, p) * per, (partStart(n, p + 1) - partStart(n, p)) * per);
            }
            out.put(layer, all);
        }
        return out;
    }

    /** Images {@code from} to {@code to} of each layer's seeds (a missing seed stays missing). */
    private Map<String, float[]> seedsOf(Map<String, float[]> seeds, int from, int to) {
        Map<String, float[]> out = new HashMap<>();
        seeds.forEach((layer, seed) -> out.put(layer, slice(seed, perImage(layer), from, to)));
        return out;
    }

    /**
     * Seeds given up front: one run of the whole backward model, which outputs the activations
     * too; on the CPU a batch runs as parts at once, each on one thread.
     */
    @Override
    public Map<String, float[]> activationsAndGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
        if (!splits(n)) {
            return whole(images, n, seeds, gradient, backend.threads());
        }
        int per = input.elements();
        for (int p = 0; p < parts; p++) {
            sessions(partStart(n, p + 1) - partStart(n, p), 1).backward(); // built here: the parts only read the map
        }
        List<Map<String, float[]>> byPart = new java.util.ArrayList<>(java.util.Collections.nCopies(parts, null));
        eachPart(p -> {
            int from = partStart(n, p);
            int to = partStart(n, p + 1);
            float[] g = new float[(to - from) * per];
            byPart.set(p, whole(slice(images, per, from, to), to - from, seedsOf(seeds, from, to), g, 1));
            System.arraycopy(g, 0, gradient, from * per, g.length);
        });
        return joined(n, byPart);
    }

    private Map<String, float[]> whole(float[] images, int n, Map<String, float[]> seeds, float[] gradient, int threads) {
        List<String> outputs = new java.util.ArrayList<>(List.of(GradientGraph.GRADIENT));
        tensorOf.values().stream().distinct().forEach(outputs::add);
        Map<String, FloatBuffer> result = backward(images, n, seeds, outputs, threads);
        result.get(GradientGraph.GRADIENT).get(gradient, 0, images.length);
        Map<String, float[]> activations = new LinkedHashMap<>();
        tensorOf.forEach((layer, tensor) -> {
            FloatBuffer b = result.get(tensor).duplicate();
            float[] a = new float[b.remaining()];
            b.get(a);
            activations.put(layer, a);
        });
        return activations;
    }

    /**
     * One forward pass: the split model's forward half hands its saved tensors straight to the
     * backward half; the seeds come from the whole batch's activations in between. On the CPU the
     * halves run as parts of the batch at once, each on one thread.
     */
    @Override
    public Map<String, float[]> activationsAndGradient(float[] images, int n, java.util.function.Function<Map<String, float[]>, Map<String, float[]>> seeder,
            float[] gradient) {
        int count = splits(n) ? parts : 1;
        int threads = count > 1 ? 1 : backend.threads();
        int per = input.elements();
        List<OnnxTensor> imageTensors = new java.util.ArrayList<>(java.util.Collections.nCopies(count, null));
        List<OrtSession.Result> forwards = new java.util.ArrayList<>(java.util.Collections.nCopies(count, null));
        List<Map<String, float[]>> byPart = new java.util.ArrayList<>(java.util.Collections.nCopies(count, null));
        java.util.function.IntUnaryOperator start = p -> count == 1 ? (p == 0 ? 0 : n) : partStart(n, p);
        for (int p = 0; p < count; p++) {
            sessions(start.applyAsInt(p + 1) - start.applyAsInt(p), threads).split(); // built here: the parts only read the map
        }
        try {
            java.util.function.IntConsumer forward = p -> {
                int from = start.applyAsInt(p);
                int to = start.applyAsInt(p + 1);
                try {
                    OnnxTensor image = tensor(count == 1 ? images : slice(images, per, from, to), imageDims(to - from));
                    imageTensors.set(p, image);
                    OrtSession.Result r = sessions(to - from, threads).split().forward().run(Map.of(imageName, image));
                    forwards.set(p, r);
                    Map<String, float[]> activations = new LinkedHashMap<>();
                    for (Map.Entry<String, String> e : tensorOf.entrySet()) {
                        FloatBuffer b = ((OnnxTensor) r.get(e.getValue()).orElseThrow()).getFloatBuffer();
                        float[] a = new float[b.remaining()];
                        b.get(a);
                        activations.put(e.getKey(), a);
                    }
                    byPart.set(p, activations);
                } catch (OrtException e) {
                    throw FiltervisException.failure("ONNX Runtime failed running the model: " + OnnxBackend.firstLine(e.getMessage()), e);
                }
            };
            if (count == 1) {
                forward.accept(0);
            } else {
                eachPart(forward);
            }
            Map<String, float[]> activations = count == 1 ? byPart.get(0) : joined(n, byPart);
            Map<String, float[]> seeds = seeder.apply(activations);
            java.util.function.IntConsumer backwardPart = p -> {
                int from = start.applyAsInt(p);
                int to = start.applyAsInt(p + 1);
                Split split = sessions(to - from, threads).split();
                Map<String, OnnxTensor> seedTensors = new HashMap<>();
                try {
                    int i = 0;
                    for (String layer : tensorOf.keySet()) {
                        float[] seed = seeds.get(layer);
                        long[] d = batchDims(to - from, shapes.get(layer));
                        float[] part = seed == null ? new float[(int) org.filtervis.graph.Tensor.elements(d)] : count == 1 ? seed : slice(seed, perImage(layer), from, to);
                        seedTensors.put(GradientGraph.seedName(i++), tensor(part, d));
                    }
                    Map<String, OnnxTensor> feed = new HashMap<>(seedTensors);
                    for (String saved : split.saved()) {
                        feed.put(saved, (OnnxTensor) forwards.get(p).get(saved).orElseThrow());
                    }
                    if (split.backwardReadsImage()) {
                        feed.put(imageName, imageTensors.get(p));
                    }
                    try (OrtSession.Result result = split.backward().run(feed, java.util.Set.of(GradientGraph.GRADIENT))) {
                        ((OnnxTensor) result.get(GradientGraph.GRADIENT).orElseThrow()).getFloatBuffer().get(gradient, from * per, (to - from) * per);
                    }
                } catch (OrtException e) {
                    throw FiltervisException.failure("ONNX Runtime failed running the gradient model: " + OnnxBackend.firstLine(e.getMessage()), e);
                } finally {
                    seedTensors.values().forEach(OnnxTensor::close);
                }
            };
            if (count == 1) {
                backwardPart.accept(0);
            } else {
                eachPart(backwardPart);
            }
            return activations;
        } finally {
            forwards.stream().filter(java.util.Objects::nonNull).forEach(OrtSession.Result::close);
            imageTensors.stream().filter(java.util.Objects::nonNull).forEach(OnnxTensor::close);
        }
    }

    @Override
    public void inputGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
        backward(images, n, seeds, List.of(GradientGraph.GRADIENT), backend.threads()).get(GradientGraph.GRADIENT).get(gradient, 0, images.length);
    }

    @Override
    public Map<String, float[]> tensorGradients(float[] images, int n, Map<String, float[]> seeds, List<String> wrt) {
        List<String> layers = List.copyOf(tensorOf.keySet());
        List<String> outputs = wrt.stream().map(w -> GradientGraph.gradientAtName(layers.indexOf(w))).toList();
        if (outputs.contains(GradientGraph.gradientAtName(-1))) {
            throw new IllegalArgumentException("gradients at " + wrt + ": only at " + layers);
        }
        Map<String, FloatBuffer> result = backward(images, n, seeds, outputs, backend.threads());
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
    private Map<String, FloatBuffer> backward(float[] images, int n, Map<String, float[]> seeds, List<String> outputs, int threads) {
        Sessions s = sessions(n, threads);
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

    /** Something ONNX Runtime closes, which can fail. */
    private interface OrtClose {
        void close() throws OrtException;
    }

    private static void closing(OrtClose c) {
        try {
            c.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        sessions.values().forEach(s -> closing(s::close));
        sessions.clear();
        fromSessions.values().forEach(s -> closing(s::close));
        fromSessions.clear();
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
