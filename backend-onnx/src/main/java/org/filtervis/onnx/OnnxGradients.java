package org.filtervis.onnx;

import java.util.function.IntFunction;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.BackendGradients;

/**
 * Runs a layer's gradient model; one session per batch size, built on first use and reused for
 * every later batch of that size (the channels are an input).
 */
final class OnnxGradients extends BackendGradients {
    private final IntFunction<GradientSession> sessionForBatch;
    private final Runnable closer;
    private final java.util.function.Supplier<OnnxGradients> redirectedFactory;
    private OnnxGradients redirected;

    /**
     * @param redirectedFactory makes the redirected-ReLU variant on first request; null where
     *     there is none (a stored gradient model, or this is the variant)
     */
    OnnxGradients(InputSpec input, int channels, IntFunction<GradientSession> sessionForBatch, Runnable closer, int fixedBatch,
            java.util.function.Supplier<OnnxGradients> redirectedFactory) {
        super(input, channels, fixedBatch);
        this.sessionForBatch = sessionForBatch;
        this.closer = closer;
        this.redirectedFactory = redirectedFactory;
    }

    @Override
    public java.util.Optional<GradientProvider> redirectedRelu() {
        if (redirected == null && redirectedFactory != null) {
            redirected = redirectedFactory.get();
        }
        return java.util.Optional.ofNullable(redirected);
    }

    @Override
    public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
        int n = filters.length;
        int per = input.elements();
        if (images.length != n * per || gradients.length != n * per || objectives.length < n) {
            throw new IllegalArgumentException("batch of " + n + " needs " + n * per + " image floats, got " + images.length);
        }
        GradientProvider.requireChannels(filters, channels);
        if (n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " exceeds " + maxBatch);
        }
        // A model with a pinned batch size gets short batches padded with blank images.
        int batch = maxBatch == Integer.MAX_VALUE ? n : maxBatch;
        long[] ch = new long[batch];
        for (int i = 0; i < n; i++) {
            ch[i] = filters[i];
        }
        GradientSession session = sessionForBatch.apply(batch);
        if (batch == n) {
            session.run(images, ch, objectives, gradients);
            return;
        }
        float[] paddedImages = java.util.Arrays.copyOf(images, batch * per);
        float[] paddedGrads = new float[batch * per];
        float[] paddedObjectives = new float[batch];
        session.run(paddedImages, ch, paddedObjectives, paddedGrads);
        System.arraycopy(paddedGrads, 0, gradients, 0, n * per);
        System.arraycopy(paddedObjectives, 0, objectives, 0, n);
    }

    @Override
    public void close() {
        if (redirected != null) {
            redirected.close();
        }
        closer.run();
    }
}
