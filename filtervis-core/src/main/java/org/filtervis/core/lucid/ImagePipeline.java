package org.filtervis.core.lucid;

import java.util.List;
import java.util.SplittableRandom;
import org.filtervis.api.InputSpec;
import org.filtervis.api.RgbImage;

/**
 * One image's way from the optimized parameters to the network's input, and the gradient's way
 * back: spectrum (or pixels) to a CHW image, colour (decorrelation, sigmoid) to [0, 1], the step's
 * random transformations to the network's size, the model's input range, and its layout. Every
 * stage's backward pass is its exact adjoint, so the parameters get d objective / d parameters.
 */
public final class ImagePipeline {
    private final LucidRecipe recipe;
    private final InputSpec net;
    private final int size;
    private final int channels;
    private final long seed;
    private final Spectrum spectrum;
    private final Colour colour;

    /** One step's forward state, which {@link #backward} needs. */
    public static final class Trace {
        final float[] rgb;
        final List<Resample> resamples;
        /** Work arrays, reused by the next step of the same image. */
        float[] spatial;
        float[] gradient;

        Trace(float[] rgb, List<Resample> resamples) {
            this.rgb = rgb;
            this.resamples = resamples;
        }
    }

    /**
     * @param net  the network's input at the size the gradients were opened for
     * @param size the side of the optimized image
     */
    public ImagePipeline(LucidRecipe recipe, InputSpec net, int size, long seed) {
        this.recipe = recipe;
        this.net = net;
        this.size = size;
        this.channels = net.channels();
        this.seed = seed;
        this.spectrum = recipe.fft() ? new Spectrum(channels, size, size, 1) : null;
        this.colour = new Colour(channels, size * size, recipe.decorrelate());
        recipe.range().forChannels(channels);
    }

    /** Parameters per image. */
    public int parameters() {
        return spectrum != null ? spectrum.parameters() : channels * size * size;
    }

    /** Lucid's start: normal noise of standard deviation 0.01, from (seed, image key: see {@link org.filtervis.core.ascent.ImageMath#imageKeys}). */
    public void init(float[] p, int off, long filter) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + filter);
        for (int i = 0; i < parameters(); i++) {
            p[off + i] = (float) (nextGaussian(r) * 0.01);
        }
    }

    /** The image in [0, 1], CHW, at the optimized size. */
    float[] colours(float[] p, int off) {
        return colours(p, off, null);
    }

    /** As above, writing into {@code previous}'s colour array when there is one. */
    private float[] colours(float[] p, int off, Trace previous) {
        float[] t;
        int tOff;
        if (spectrum != null) {
            t = previous != null && previous.spatial != null ? previous.spatial : new float[spectrum.pixels()];
            spectrum.render(p, off, t, 0);
            tOff = 0;
        } else {
            t = p;
            tOff = off;
        }
        float[] rgb = previous != null ? previous.rgb : new float[channels * size * size];
        colour.forward(t, tOff, rgb, 0);
        return rgb;
    }

    /** The network input of one step (into {@code x[xOff...]}, the model's layout), with that step's random transformations. */
    public Trace forward(float[] p, int pOff, long filter, int step, float[] x, int xOff) {
        return forward(p, pOff, filter, step, x, xOff, null);
    }

    /** As above, reusing the arrays of an earlier step's trace of the same image (the result does not depend on it). */
    public Trace forward(float[] p, int pOff, long filter, int step, float[] x, int xOff, Trace previous) {
        float[] rgb = colours(p, pOff, previous);
        SplittableRandom r = new SplittableRandom((seed * 0x9E3779B97F4A7C15L + filter) * 0xBF58476D1CE4E5B9L + step);
        Resample reuse = previous != null && previous.resamples.size() == 1 ? previous.resamples.get(0) : null;
        List<Resample> resamples = recipe.transforms().draw(size, size, net.height(), net.width(), r, reuse);
        float[] plane = rgb;
        for (Resample rs : resamples) {
            float[] next = new float[channels * rs.outH * rs.outW];
            for (int c = 0; c < channels; c++) {
                rs.forward(plane, c * rs.inH * rs.inW, next, c * rs.outH * rs.outW);
            }
            plane = next;
        }
        toNetwork(plane, x, xOff);
        Trace trace = new Trace(rgb, resamples);
        if (previous != null) {
            trace.spatial = previous.spatial;
            trace.gradient = previous.gradient;
        }
        return trace;
    }

    /** The network input of the final image, without transformations (resized to the network's size if needed). */
    public void clean(float[] p, int pOff, float[] x, int xOff) {
        float[] rgb = colours(p, pOff);
        if (size != net.height() || size != net.width()) {
            Resample rs = Resample.resize(size, size, net.height(), net.width());
            float[] out = new float[channels * rs.outH * rs.outW];
            for (int c = 0; c < channels; c++) {
                rs.forward(rgb, c * size * size, out, c * rs.outH * rs.outW);
            }
            rgb = out;
        }
        toNetwork(rgb, x, xOff);
    }

    /** d objective / d parameters (added to {@code dp[dOff...]}) from d objective / d network input. */
    public void backward(Trace t, float[] gx, int xOff, float[] p, int pOff, float[] dp, int dOff) {
        int pixels = net.height() * net.width();
        if (t.gradient == null || t.gradient.length != channels * pixels) {
            t.gradient = new float[channels * pixels];
        }
        float[] g = t.gradient;
        // From the model's layout to CHW, through the input range's scale.
        boolean nchw = net.layout() == InputSpec.Layout.NCHW;
        for (int c = 0; c < channels; c++) {
            float a = (float) recipe.range().scale(c);
            for (int o = 0; o < pixels; o++) {
                g[c * pixels + o] = a * gx[xOff + (nchw ? c * pixels + o : o * channels + c)];
            }
        }
        for (int k = t.resamples.size() - 1; k >= 0; k--) {
            Resample rs = t.resamples.get(k);
            float[] back = new float[channels * rs.inH * rs.inW];
            for (int c = 0; c < channels; c++) {
                rs.adjoint(g, c * rs.outH * rs.outW, back, c * rs.inH * rs.inW);
            }
            g = back;
        }
        if (spectrum != null) {
            if (t.spatial == null) {
                t.spatial = new float[spectrum.pixels()];
            }
            float[] dt = t.spatial;
            java.util.Arrays.fill(dt, 0f);
            colour.adjoint(t.rgb, 0, g, 0, dt, 0);
            spectrum.adjoint(dt, 0, dp, dOff);
        } else {
            colour.adjoint(t.rgb, 0, g, 0, dp, dOff);
        }
    }

    /** The final image, 8 bits, at the optimized size: the colours as they are (no stretching, no crop). */
    public RgbImage image(float[] p, int off) {
        return image(colours(p, off), channels, size);
    }

    /** CHW colours in [0, 1] of a square image as 8-bit RGB (one channel shown as grey), unstretched. */
    static RgbImage image(float[] rgb, int channels, int size) {
        int pixels = size * size;
        byte[] out = new byte[pixels * 3];
        for (int i = 0; i < pixels; i++) {
            for (int c = 0; c < 3; c++) {
                float v = rgb[Math.min(c, channels - 1) * pixels + i];
                out[i * 3 + c] = (byte) Math.round(Math.min(1, Math.max(0, v)) * 255);
            }
        }
        return new RgbImage(size, size, out);
    }

    private void toNetwork(float[] chw, float[] x, int xOff) {
        toNetwork(chw, net, recipe.range(), x, xOff);
    }

    /** CHW colours at the network's size to the model's values and layout ({@code chw} is left as it was). */
    static void toNetwork(float[] chw, InputSpec net, InputRange range, float[] x, int xOff) {
        int channels = net.channels();
        int pixels = net.height() * net.width();
        boolean nchw = net.layout() == InputSpec.Layout.NCHW;
        for (int c = 0; c < channels; c++) {
            float a = (float) range.scale(c);
            float b = (float) range.offset(c);
            for (int o = 0; o < pixels; o++) {
                x[xOff + (nchw ? c * pixels + o : o * channels + c)] = a * chw[c * pixels + o] + b;
            }
        }
    }

    /** A standard normal deviate (Box-Muller), from our own seeded stream so every JVM draws the same. */
    static double nextGaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
