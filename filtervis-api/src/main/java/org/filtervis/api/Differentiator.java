package org.filtervis.api;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The general path of differentiation: the activations of named tensors for a batch of images,
 * and the vector-Jacobian product back to the images. Any objective built from those activations
 * is evaluated by the host, which hands back its gradient with respect to each activation (the
 * seeds); the backend only runs the network. See {@link Model#differentiator}.
 *
 * <p><b>Layout.</b> Images as in {@link GradientProvider}: {@code n} images back to back in the
 * model's input layout. An activation of a batch of {@code n} is float32 in C order with shape
 * {@code [n] + shape(tensor)} (the model's own layout, e.g. NCHW for ONNX models); a seed has the
 * activation's shape.
 *
 * <p><b>Threads and ownership.</b> Not thread-safe; arrays stay the caller's. Closed before its model.
 */
public interface Differentiator extends AutoCloseable {
    /** The tensors this differentiator reads, as asked for. */
    List<String> tensors();

    /** The shape of one image's activation of {@code tensor} (without the batch axis). */
    long[] shape(String tensor);

    /** Shape of one image in the model's input layout. */
    InputSpec input();

    /** The largest batch one call takes. */
    default int maxBatch() {
        return Integer.MAX_VALUE;
    }

    /** Activations of every tensor for {@code n} images, by tensor name. */
    Map<String, float[]> activations(float[] images, int n);

    /**
     * d(sum over tensors t of sum(seeds[t] * activation[t])) / d(images) for {@code n} images,
     * written into {@code gradient}. A tensor missing from {@code seeds} has a zero seed.
     */
    void inputGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient);

    /**
     * The activations of every tensor for {@code n} images, then the input gradient (as {@link
     * #inputGradient}) for the seeds {@code seeder} computes from them, written into {@code
     * gradient}; returns the activations. A backend that keeps what its backward pass needs
     * between the two (for this one batch, released before returning) runs the network forward
     * once; this default runs it twice.
     */
    default Map<String, float[]> activationsAndGradient(float[] images, int n, Function<Map<String, float[]>, Map<String, float[]>> seeder,
            float[] gradient) {
        Map<String, float[]> activations = activations(images, n);
        inputGradient(images, n, seeder.apply(activations), gradient);
        return activations;
    }

    /**
     * The activations of every tensor and the input gradient for {@code seeds} given up front
     * (an objective linear in the activations: channel, neuron, logit, direction and their sums),
     * in one call. This default hands the seeds to the form above.
     */
    default Map<String, float[]> activationsAndGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
        return activationsAndGradient(images, n, activations -> seeds, gradient);
    }

    /**
     * Optional: d(sum over tensors t of sum(seeds[t] * activation[t])) / d(activation[w]) for each
     * layer w of {@code wrt} (among {@link #tensors()}), by layer, each of the activation's size: the
     * gradient of a score at an intermediate layer, which attribution (Grad-CAM and its family) needs.
     *
     * @throws FiltervisException (failure) where the backend cannot
     */
    default Map<String, float[]> tensorGradients(float[] images, int n, Map<String, float[]> seeds, List<String> wrt) {
        throw FiltervisException.failure("this backend cannot differentiate to an intermediate layer");
    }

    /**
     * Optional: the activations of {@code outputs} (among {@link #tensors()}) for {@code n}
     * images whose activation of {@code layer} is {@code values} (that layer's batch shape) instead
     * of what the network computes: the network run on from an intermediate layer, without the
     * images. Ablation-CAM sends copies of one activation, a channel zeroed in each.
     *
     * @throws FiltervisException (usage) where an output depends on the images other than through
     *     {@code layer} (a skip connection around it), naming it; (failure) where the backend cannot
     */
    default Map<String, float[]> activationsFrom(String layer, float[] values, int n, List<String> outputs) {
        throw FiltervisException.failure("this backend cannot run the network on from an intermediate layer");
    }

    @Override
    void close();
}
