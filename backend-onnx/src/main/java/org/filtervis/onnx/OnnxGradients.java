package org.filtervis.onnx;

import java.util.function.IntFunction;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;

/**
 * Runs a layer's gradient model; one session per batch size, built on first use and reused for
 * every later batch of that size (the channels are an input).
 */
final class OnnxGradients implements GradientProvider {
    private final InputSpec input;
    private final int channels;
    private final IntFunction<GradientSession> sessionForBatch;
    private final Runnable closer;
    private final int fixedBatch;
    private final java.util.function.Supplier<OnnxGradients> redirectedFactory;
    private OnnxGradients redirected;

    /**
     * @param redirectedFactory makes the redirected-ReLU variant on first request; null where
     *     there is none (a stored gradient model, or this is the variant)
     */
    OnnxGradients(InputSpec input, int channels, IntFunction<GradientSession> sessionForBatch, Runnable closer, int fixedBatch,
            java.util.function.Supplier<OnnxGradients> redirectedFactory) {
        this.input = input;
        this.channels = channels;
        this.sessionForBatch = sessionForBatch;
        this.closer = closer;
        this.fixedBatch = fixedBatch;
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
    public int channels() {
        return channels;
    }

    @Override
    public InputSpec input() {
        return input;
    }

    @Override
    public int maxBatch() {
        return fixedBatch;
    }

    @Override
    public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
        int n = filters.length;
        int per = input.elements();
        if (images.length != n * per || gradients.length != n * per || objectives.length < n) {
            throw new IllegalArgumentException("batch of " + n + " needs " + n * per + " image floats, got " + images.length);
        }
        GradientProvider.requireChannels(filters, channels);
        if (n > fixedBatch) {
            throw new IllegalArgumentException("batch of " + n + " exceeds " + fixedBatch);
        }
        // A model with a pinned batch size gets short batches padded with blank images.
        int batch = fixedBatch == Integer.MAX_VALUE ? n : fixedBatch;
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
