package org.filtervis.api;

/**
 * One forward and backward pass for a batch of images, each with its own target channel.
 *
 * <p><b>Objective.</b> For image {@code n} with target channel {@code c[n]}, the objective is
 * the mean of the layer's activation in channel {@code c[n]} over height and width, leaving out a
 * border of b positions on every side when every spatial size exceeds 2b (the whole map otherwise;
 * a layer without spatial axes gives the value itself). b is the Keras example's 2 unless the
 * provider was opened with another ({@link Model#gradients(String, int, int, int)}; 0 is Lucid's
 * mean over every position). The gradient is
 * {@code d(sum over n of objective[n]) / d(images)}; since image n affects only its own
 * objective, this is every image's own gradient in one pass.
 *
 * <p><b>Layout and units.</b> {@code images} and {@code gradients} hold {@code N} images back to
 * back, float32, in the model's input layout ({@link InputSpec#layout()}) and units (no
 * normalisation is applied). {@code N = filters.length}, at most {@link #maxBatch()}.
 *
 * <p><b>Threads and ownership.</b> Not thread-safe: one call at a time. The arrays stay the
 * caller's; results are written into {@code objectives} and {@code gradients}. The caller closes
 * the provider before closing its {@link Model}.
 */
public interface GradientProvider extends AutoCloseable {

    /** Number of channels of the target layer: valid targets are 0 to channels() - 1. */
    int channels();

    /**
     * Checks targets against a layer's channel count, for implementations of {@link #compute}.
     *
     * @throws FiltervisException (usage) naming the first target out of range
     */
    static void requireChannels(int[] filters, int channels) {
        for (int f : filters) {
            if (f < 0 || f >= channels) {
                throw FiltervisException.usage("filter " + f + " is out of range: the layer has channels 0 to " + (channels - 1));
            }
        }
    }

    /** Shape of one image in the model's input layout. */
    InputSpec input();

    /** Largest batch one call accepts. */
    default int maxBatch() {
        return Integer.MAX_VALUE;
    }

    /**
     * Builds now what a batch of {@code batch} images needs (sessions, graphs) rather than in the
     * first {@link #compute} of that size, so that setup and steady-state steps are timed apart.
     * Optional: the default builds nothing.
     */
    default void prepare(int batch) {}

    /**
     * Runs one pass.
     *
     * @param images     N images, {@code N * input().elements()} floats
     * @param filters    N channel indices
     * @param objectives out: N objective values
     * @param gradients  out: same size as {@code images}
     */
    void compute(float[] images, int[] filters, float[] objectives, float[] gradients);

    /**
     * Optional capability: a provider for the same layer whose ReLU gradients are redirected the
     * way Lucid does it. For an image whose gradient through a ReLU would be all zero (a filter
     * that does not fire), the gradient passes where it pushes an inactive unit up, so the image
     * can move toward activating the filter. Objectives are unchanged. Closed with this provider.
     */
    default java.util.Optional<GradientProvider> redirectedRelu() {
        return java.util.Optional.empty();
    }

    @Override
    void close();
}
