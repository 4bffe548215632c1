package org.filtervis.core.lucid;

/**
 * The choices of Lucid's recipe (Lucent's {@code render_vis} defaults: FFT parameterization,
 * decorrelated colour, the standard transformations, Adam at 0.05 for 512 steps on 128 px), each
 * selectable on its own.
 *
 * @param fft         the image as a scaled spectrum ({@link Spectrum}) rather than pixels
 * @param decorrelate Lucid's colour decorrelation before the sigmoid ({@link Colour})
 * @param transforms  drawn afresh every step ({@link Transforms})
 * @param adam        Adam (ascending the objective); false: the Keras step, lr * g / |g| per image
 * @param range       what the model expects of its pixels ({@link InputRange})
 * @param size        the side of the optimized image (the network sees it transformed and resized)
 */
public record LucidRecipe(boolean fft, boolean decorrelate, Transforms transforms, boolean adam, InputRange range, int size) implements java.io.Serializable {
    public static final int STEPS = 512;
    public static final float LR = 0.05f;
    public static final int SIZE = 128;
    /** Lucid's feature-visualization recipe redirects ReLU gradients for its first 16 steps (Lucent does not redirect). */
    public static final int REDIRECT_STEPS = 16;
    /** Lucent upsamples smaller images to this for models whose size is free. */
    public static final int NETWORK_SIZE = 224;

    public static LucidRecipe standard(InputRange range) {
        return new LucidRecipe(true, true, Transforms.standard(), true, range, SIZE);
    }

    /** The network's input side: the model's own where it fixes one, else the image's, at least {@link #NETWORK_SIZE}. */
    public int networkSize(int modelSize) {
        return modelSize > 0 ? modelSize : Math.max(size, NETWORK_SIZE);
    }

    /** As the run record says it. */
    public String describe() {
        return size + " px, param " + (fft ? "fft" : "pixel") + ", " + (decorrelate ? "decorrelated" : "plain") + " colour, transforms " + transforms.describe()
                + ", optimizer " + (adam ? "adam" : "normalized-sgd") + ", input " + range.describe();
    }
}
