package org.filtervis.core.ascent;

import java.util.SplittableRandom;
import org.filtervis.api.InputSpec;
import org.filtervis.api.RgbImage;

/** The recipe's per-image arithmetic: initial noise, gradient step, deprocessing. */
public final class ImageMath {
    private ImageMath() {}

    /** Uniform noise u in [0, 1), mapped to (u - 0.5) * 0.25; depends only on (seed, filter). */
    public static void initialNoise(float[] images, int offset, int elements, long seed, long filter) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + filter);
        for (int i = 0; i < elements; i++) {
            float u = (float) random.nextDouble();
            images[offset + i] = (u - 0.5f) * 0.25f;
        }
    }

    /**
     * Each image's key for its random draws (starting noise, Lucid's transformations): its filter,
     * and for a filter that comes again in the batch (diverse images of one filter) the filter plus
     * its repeat count in the upper half, so repeats start from different noise while a batch of
     * distinct filters draws what it always drew.
     */
    public static long[] imageKeys(int[] filters) {
        long[] keys = new long[filters.length];
        java.util.Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (int i = 0; i < filters.length; i++) {
            int repeat = seen.merge(filters[i], 1, Integer::sum) - 1;
            keys[i] = filters[i] + ((long) repeat << 32);
        }
        return keys;
    }

    /**
     * One ascent step for one image: {@code image += lr * g / max(||g||, 1e-6)}, the same as
     * TensorFlow's l2_normalize (a zero gradient leaves the image unchanged).
     *
     * @return false when the gradient is not finite (the image is left unchanged)
     */
    public static boolean step(float[] images, float[] gradients, int offset, int elements, float lr) {
        double sum = 0;
        for (int i = offset; i < offset + elements; i++) {
            sum += (double) gradients[i] * gradients[i];
        }
        if (!Double.isFinite(sum)) {
            return false;
        }
        float scale = (float) (lr / Math.sqrt(Math.max(sum, 1e-12)));
        for (int i = offset; i < offset + elements; i++) {
            images[i] += scale * gradients[i];
        }
        return true;
    }

    static boolean isZero(float[] values, int offset, int elements) {
        for (int i = offset; i < offset + elements; i++) {
            if (values[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Normalises to mean 0.5 and standard deviation 0.15 (over the whole image), crops
     * {@link Recipe#crop} pixels per side, clips to [0, 1] and rounds to 8 bits.
     */
    public static RgbImage deprocess(float[] images, int offset, InputSpec spec) {
        int n = spec.elements();
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += images[offset + i];
        }
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) {
            double d = images[offset + i] - mean;
            var += d * d;
        }
        double std = Math.sqrt(var / n);
        int cropY = Recipe.crop(spec.height());
        int cropX = Recipe.crop(spec.width());
        int h = spec.height() - 2 * cropY;
        int w = spec.width() - 2 * cropX;
        byte[] rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    // Grayscale models show their one channel as gray.
                    int channel = Math.min(c, spec.channels() - 1);
                    double v = (images[offset + spec.index(channel, y + cropY, x + cropX)] - mean) / (std + 1e-5) * 0.15 + 0.5;
                    v = Math.min(1, Math.max(0, v));
                    rgb[(y * w + x) * 3 + c] = (byte) Math.round(v * 255);
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }
}
