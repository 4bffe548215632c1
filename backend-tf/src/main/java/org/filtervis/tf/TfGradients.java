package org.filtervis.tf;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.kit.BackendGradients;
import org.filtervis.graph.GradientGraph;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Objectives and input gradients by TensorFlow's symbolic gradients ({@code Graph.addGradients}).
 * One graph and session per batch size (every shape static, so shape subgraphs fold), built on
 * first use and kept, the last few only.
 */
final class TfGradients extends BackendGradients {
    /** The network up to the layer, added to {@code tf}'s graph for a fixed batch. */
    interface Network {
        Activation build(TfOps tf, int batch);
    }

    /** The image placeholder and the layer's activation; {@code channelAxis} is where its channels are stored. */
    record Activation(Output<?> image, Output<?> activation, int channelAxis) {}

    private static final int KEEP = 3;

    private final TfBackend backend;
    private final Network network;
    private final Map<Integer, Built> built = new LinkedHashMap<>(4, 0.75f, true);

    /** The objective's ops: the channels placeholder, the per-image objectives, the image gradient. */
    record Objective(String filters, Output<?> objectives, Output<?> gradient) {}

    private record Built(Graph graph, Session session, String image, Objective objective) {
        void close() {
            session.close();
            graph.close();
        }
    }

    /** Batch sizes run once already: TensorFlow logs natively on a session's first run (see NativeStderr). */
    private final java.util.Set<Integer> firstRuns = new java.util.HashSet<>();

    private final int border;

    /** @param border positions left out on every side of the channel mean ({@link GradientGraph#spatialWeights}) */
    TfGradients(TfBackend backend, InputSpec input, int channels, int maxBatch, int border, Network network) {
        super(input, channels, maxBatch);
        requireBorder(border);
        this.backend = backend;
        this.network = network;
        this.border = border;
    }

    /**
     * Builds the graph for {@code batch} images now (the model's own batch where it fixes one), so
     * that an op TensorFlow cannot lower or differentiate is reported before any work.
     */
    TfGradients checked(int batch) {
        try {
            built(batch);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    /**
     * Adds the objective of {@link GradientProvider} to a network: a one-hot channel mask times
     * the spatial weights (1/count inside the border), summed per image; and the gradient
     * of their sum with respect to the image.
     */
    static Objective objective(Graph graph, TfOps tf, Activation a, int batch, int border) {
        long[] p = TfOps.shape(a.activation());
        int rank = p.length;
        int ca = a.channelAxis();
        long c = p[ca];
        Output<?> filters = tf.placeholder("filtervis_channels", DataType.DT_INT32, batch);
        Output<?> oneHot = tf.op("OneHot", "one_hot", b -> b.setAttr("axis", -1L), filters, tf.axis((int) c), tf.scalar(1f), tf.scalar(0f));
        long[] maskShape = new long[rank];
        Arrays.fill(maskShape, 1);
        maskShape[0] = batch;
        maskShape[ca] = c;
        Output<?> mask = tf.reshape(oneHot, maskShape);
        if (rank > 2) {
            // GradientGraph's weights for the logical [N, C, spatial...] shape; spatial axes keep their order stored.
            long[] logical = new long[rank];
            logical[0] = p[0];
            logical[1] = c;
            for (int i = 1, j = 2; i < rank; i++) {
                if (i != ca) {
                    logical[j++] = p[i];
                }
            }
            var spatial = GradientGraph.spatialWeights(logical, border);
            long[] stored = p.clone();
            stored[0] = 1;
            stored[ca] = 1;
            mask = tf.op("Mul", "mask", mask, tf.floats("spatial_weights", stored, spatial.floats()));
        }
        int[] axes = new int[rank - 1];
        Arrays.setAll(axes, i -> i + 1);
        Output<?> objectives = tf.sum(tf.op("Mul", "masked", a.activation(), mask), false, axes);
        Output<?> loss = tf.sum(objectives, false, 0);
        Output<?>[] grads = TfOps.gradients(graph, loss, a.image());
        if (grads[0] == null) {
            throw FiltervisException.usage("the layer does not depend on the image input; pick another layer (filtervis layers)");
        }
        return new Objective(filters.op().name(), objectives, grads[0]);
    }

    private Built built(int batch) {
        Built b = built.get(batch);
        if (b != null) {
            return b;
        }
        b = TfOps.inNewGraph(graph -> {
            TfOps tf = new TfOps(graph);
            Activation a = network.build(tf, batch);
            Objective o = objective(graph, tf, a, batch, border);
            return new Built(graph, new Session(graph, backend.config()), a.image().op().name(), o);
        });
        built.put(batch, b);
        if (built.size() > KEEP) {
            var eldest = built.entrySet().iterator().next();
            eldest.getValue().close();
            built.remove(eldest.getKey());
            firstRuns.remove(eldest.getKey());
        }
        return b;
    }

    @Override
    public void prepare(int batch) {
        if (batch > 0) {
            built(batch);
        }
    }

    @Override
    public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
        int n = filters.length;
        GradientProvider.requireChannels(filters, channels);
        Built b = built(n);
        long[] dims = imageDims(n);
        try (TFloat32 x = TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(images, true, false));
                TInt32 c = TInt32.tensorOf(Shape.of(n), DataBuffers.of(filters, true, false));
                Result r = firstRuns.add(n) ? NativeStderr.quiet(() -> run(b, x, c)) : run(b, x, c)) {
            ((TFloat32) r.get(0)).copyTo(DataBuffers.of(objectives, false, false).narrow(n));
            ((TFloat32) r.get(1)).copyTo(DataBuffers.of(gradients, false, false).narrow(images.length));
        }
    }

    private static Result run(Built b, TFloat32 x, TInt32 c) {
        return b.session().runner().feed(b.image(), x).feed(b.objective().filters(), c).fetch(b.objective().objectives())
                .fetch(b.objective().gradient()).run();
    }

    @Override
    public void close() {
        built.values().forEach(Built::close);
        built.clear();
    }
}
