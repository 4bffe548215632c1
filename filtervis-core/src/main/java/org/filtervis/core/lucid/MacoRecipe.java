package org.filtervis.core.lucid;

/**
 * The choices of MaCo's recipe (Xplique's {@code maco} defaults: 256 steps of Nadam at 1.0 on a
 * 512 px buffer, 32 crops per step whose sides decay from 0.5 to 0.05 of the buffer, noise).
 *
 * @param crops    crops per step, each one image of the backend's batch
 * @param size     the side of the optimized buffer (the network sees crops of it, resized)
 * @param noise    the standard deviation of the normal noise added to every crop, in colour units
 *                 ([0, 1]), with uniform noise of half that width: Xplique's 0.08 on its default
 *                 input range of width 2
 * @param range    what the model expects of its pixels ({@link InputRange})
 * @param spectrum the magnitude spectrum file ({@code filtervis spectrum}'s), or null for the one
 *                 the distribution ships (RGB models only)
 */
public record MacoRecipe(int crops, int size, float noise, InputRange range, String spectrum) implements java.io.Serializable {
    public static final int STEPS = 256;
    public static final float LR = 1f;
    public static final int SIZE = 512;
    public static final int CROPS = 32;
    public static final float NOISE = 0.04f;
    /** Crop sides, as fractions of the buffer, at the first and the last step. */
    public static final double FIRST_BOX = 0.5;
    public static final double LAST_BOX = 0.05;

    public static MacoRecipe standard(InputRange range) {
        return new MacoRecipe(CROPS, SIZE, NOISE, range, null);
    }

    /** The magnitude for a model of {@code channels}: the spectrum file, or the shipped one (RGB only), at the buffer's spectrum shape. */
    public float[] magnitude(int channels) {
        if (spectrum != null) {
            return MagnitudeSpectrum.load(java.nio.file.Path.of(spectrum), channels, size);
        }
        if (channels != 3) {
            throw org.filtervis.api.FiltervisException.usage("the shipped magnitude spectrum is of RGB photos and the model takes " + channels
                    + " channels; make one from photos like the model's (filtervis spectrum) and give it with --spectrum");
        }
        return MagnitudeSpectrum.shipped(size);
    }

    /** As the run record says it. */
    public String describe() {
        return size + " px buffer, " + crops + " crops per step, noise " + noise + ", spectrum " + (spectrum == null ? "shipped (photos)" : spectrum)
                + ", input " + range.describe();
    }
}
