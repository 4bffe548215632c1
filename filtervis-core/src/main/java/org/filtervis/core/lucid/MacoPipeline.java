package org.filtervis.core.lucid;

import java.util.SplittableRandom;
import org.filtervis.api.InputSpec;
import org.filtervis.api.RgbImage;

/**
 * One MaCo image's way to the network and back: the phase to colours ({@link Maco}), then each
 * step's random crops of the buffer (Xplique's: centres 0.5 + N(0, 0.15) on each axis, square
 * sides N(box, 0.05) clipped to [0.05, 1] of the buffer, box falling linearly from 0.5 to 0.05 over
 * the steps), each resized bilinearly to the network's size (TensorFlow's {@code crop_and_resize}
 * sampling, mid-grey outside the buffer), with noise, to the model's input range. Every random
 * draw comes from (seed, filter, step, crop), so the bytes do not depend on how crops are batched.
 */
public final class MacoPipeline {
    private final MacoRecipe recipe;
    private final InputSpec net;
    private final int channels;
    private final int steps;
    private final long seed;
    private final Maco maco;

    /** The crops of one step of one image, which {@link #backward} needs. */
    public static final class Crops {
        final Resample[] resamples;

        Crops(int n) {
            resamples = new Resample[n];
        }
    }

    public MacoPipeline(MacoRecipe recipe, InputSpec net, float[] magnitude, int steps, long seed) {
        this.recipe = recipe;
        this.net = net;
        this.channels = net.channels();
        this.steps = steps;
        this.seed = seed;
        this.maco = new Maco(channels, recipe.size(), magnitude);
        recipe.range().forChannels(channels);
    }

    public int parameters() {
        return maco.parameters();
    }

    /** The buffer's pixels per image (C x S x S): the length of the colours' gradient. */
    public int pixels() {
        return maco.pixels();
    }

    /** Xplique's start: the phase N(0, 1), from (seed, filter). */
    public void init(float[] p, int off, int filter) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + filter);
        for (int i = 0; i < parameters(); i++) {
            p[off + i] = (float) nextGaussian(r);
        }
    }

    /** The buffer's colours for the phase at {@code p[off...]}. */
    public Maco.Trace colours(float[] p, int off, Maco.Trace reuse) {
        return maco.forward(p, off, reuse);
    }

    /** The mean crop side at {@code step}, as a fraction of the buffer: 0.5 falling linearly to 0.05. */
    double box(int step) {
        return steps == 1 ? MacoRecipe.FIRST_BOX : MacoRecipe.FIRST_BOX + (MacoRecipe.LAST_BOX - MacoRecipe.FIRST_BOX) * step / (steps - 1);
    }

    /** Draws every crop of the step; writes crops {@code first..first+count-1} into {@code x[xOff...]}, one network input each. */
    public Crops forward(Maco.Trace t, int filter, int step, Crops reuse, int first, int count, float[] x, int xOff) {
        int n = recipe.crops();
        Crops crops = reuse != null ? reuse : new Crops(n);
        int s = recipe.size();
        int outH = net.height();
        int outW = net.width();
        int per = net.elements();
        float[] plane = new float[channels * outH * outW];
        for (int k = first; k < first + count; k++) {
            SplittableRandom r = new SplittableRandom(((seed * 0x9E3779B97F4A7C15L + filter) * 0xBF58476D1CE4E5B9L + step) * 0x94D049BB133111EBL + k);
            double cy = 0.5 + 0.15 * nextGaussian(r);
            double cx = 0.5 + 0.15 * nextGaussian(r);
            double side = Math.min(1, Math.max(0.05, box(step) + 0.05 * nextGaussian(r)));
            double y1 = (cy - side / 2) * (s - 1);
            double x1 = (cx - side / 2) * (s - 1);
            double dy = outH > 1 ? side * (s - 1) / (outH - 1) : 0;
            double dx = outW > 1 ? side * (s - 1) / (outW - 1) : 0;
            Resample rs = new Resample(s, s, outH, outW, 0.5, (y, xx, yx) -> {
                yx[0] = y1 + y * dy;
                yx[1] = x1 + xx * dx;
            });
            crops.resamples[k] = rs;
            for (int c = 0; c < channels; c++) {
                rs.forward(t.rgb, c * s * s, plane, c * outH * outW);
            }
            float sd = recipe.noise();
            for (int i = 0; i < plane.length; i++) {
                plane[i] += (float) (sd * nextGaussian(r) + sd * (r.nextDouble() - 0.5));
            }
            toNetwork(plane, x, xOff + (k - first) * per);
        }
        return crops;
    }

    /** Adds to {@code dRgb} (the buffer's colours) the gradient of the crops' mean objective, from crops {@code first...}'s input gradients. */
    public void backward(Crops crops, int first, int count, float[] gx, int xOff, float[] dRgb) {
        int s = recipe.size();
        int pixels = net.height() * net.width();
        int per = net.elements();
        boolean nchw = net.layout() == InputSpec.Layout.NCHW;
        float[] g = new float[channels * pixels];
        float[] back = new float[channels * s * s];
        for (int k = first; k < first + count; k++) {
            int off = xOff + (k - first) * per;
            for (int c = 0; c < channels; c++) {
                float a = (float) (recipe.range().scale(c) / recipe.crops());
                for (int o = 0; o < pixels; o++) {
                    g[c * pixels + o] = a * gx[off + (nchw ? c * pixels + o : o * channels + c)];
                }
            }
            java.util.Arrays.fill(back, 0f);
            for (int c = 0; c < channels; c++) {
                crops.resamples[k].adjoint(g, c * pixels, back, c * s * s);
            }
            for (int i = 0; i < back.length; i++) {
                dRgb[i] += back[i];
            }
        }
    }

    /** d objective / d phase from d objective / d colours. */
    public void phaseGradient(Maco.Trace t, float[] dRgb, float[] dp, int dOff) {
        maco.backward(t, dRgb, dp, dOff);
    }

    /** The network input of the whole buffer, resized to the network's size, without noise (the image as shown). */
    public void clean(Maco.Trace t, float[] x, int xOff) {
        int s = recipe.size();
        Resample rs = Resample.resize(s, s, net.height(), net.width());
        float[] out = new float[channels * rs.outH * rs.outW];
        for (int c = 0; c < channels; c++) {
            rs.forward(t.rgb, c * s * s, out, c * rs.outH * rs.outW);
        }
        toNetwork(out, x, xOff);
    }

    /** The buffer's colours, 8 bits. */
    public RgbImage image(Maco.Trace t) {
        return ImagePipeline.image(t.rgb, channels, recipe.size());
    }

    /**
     * Xplique's {@code plot_maco} alpha: the accumulated |gradient| averaged over channels, clipped
     * at its 80th percentile, divided by its largest value.
     */
    public float[] transparency(float[] accumulated) {
        int pixels = recipe.size() * recipe.size();
        float[] a = new float[pixels];
        for (int i = 0; i < pixels; i++) {
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                sum += accumulated[c * pixels + i];
            }
            a[i] = (float) (sum / channels);
        }
        float[] sorted = a.clone();
        java.util.Arrays.sort(sorted);
        // numpy's default percentile: linear between the two nearest ranks.
        double rank = 0.8 * (pixels - 1);
        int lo = (int) Math.floor(rank);
        double ceiling = sorted[lo] + (rank - lo) * (sorted[Math.min(pixels - 1, lo + 1)] - sorted[lo]);
        double top = 0;
        for (int i = 0; i < pixels; i++) {
            a[i] = (float) Math.min(a[i], ceiling);
            top = Math.max(top, a[i]);
        }
        for (int i = 0; i < pixels; i++) {
            a[i] = top > 0 ? (float) (a[i] / top) : 0f;
        }
        return a;
    }

    private void toNetwork(float[] chw, float[] x, int xOff) {
        ImagePipeline.toNetwork(chw, net, recipe.range(), x, xOff);
    }

    private static double nextGaussian(SplittableRandom r) {
        return ImagePipeline.nextGaussian(r);
    }
}
