package org.filtervis.core.lucid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every stage of the Lucid recipe: the inverse FFT against the textbook sum, each linear stage's
 * adjoint by the dot-product test (<A x, y> = <x, A^T y>), and the whole pipeline's gradient
 * against central finite differences.
 */
class LucidPiecesTest {
    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"8, 8", "7, 9", "6, 5", "12, 16"})
    void inverseFftIsTheTextbookSumOfTheHalfSpectrum(int h, int w) {
        Spectrum s = new Spectrum(1, h, w, 1);
        float[] p = random(s.parameters(), h * 31 + w);
        float[] x = new float[s.pixels()];
        s.render(p, 0, x, 0);
        int half = w / 2 + 1;
        double floor = 1.0 / Math.max(w, h);
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                double sum = 0;
                for (int u = 0; u < h; u++) {
                    for (int v = 0; v < half; v++) {
                        double fy = (u <= (h - 1) / 2 ? u : u - h) / (double) h;
                        double f = Math.sqrt(fy * fy + (v / (double) w) * (v / (double) w));
                        double sc = 1 / Math.max(f, floor) / Math.sqrt(h * w) / 4;
                        double re = p[(u * half + v) * 2] * sc;
                        double im = p[(u * half + v) * 2 + 1] * sc;
                        double a = 2 * Math.PI * ((double) u * y / h + (double) v * xx / w);
                        double c = v == 0 || (w % 2 == 0 && v == w / 2) ? 1 : 2;
                        sum += c * (re * Math.cos(a) - im * Math.sin(a));
                    }
                }
                assertEquals(sum, x[y * w + xx], 1e-5, "pixel " + y + ", " + xx);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"3, 8, 8", "3, 7, 9", "1, 10, 10"})
    void spectrumAdjointPassesTheDotProductTest(int c, int h, int w) {
        Spectrum s = new Spectrum(c, h, w, 1);
        float[] p = random(s.parameters(), 1);
        float[] y = random(s.pixels(), 2);
        float[] ap = new float[s.pixels()];
        s.render(p, 0, ap, 0);
        float[] aty = new float[s.parameters()];
        s.adjoint(y, 0, aty, 0);
        assertEquals(dot(ap, y), dot(p, aty), 1e-5 * Math.abs(dot(ap, y)) + 1e-6);
    }

    static void assertAdjoint(Resample r, long seed) {
        // The constant part (fill) is not linear: test A with fill 0 by subtracting A(0).
        float[] x = random(r.inH * r.inW, seed);
        float[] y = random(r.outH * r.outW, seed + 1);
        float[] ax = new float[r.outH * r.outW];
        float[] a0 = new float[r.outH * r.outW];
        r.forward(x, 0, ax, 0);
        r.forward(new float[x.length], 0, a0, 0);
        for (int i = 0; i < ax.length; i++) {
            ax[i] -= a0[i];
        }
        float[] aty = new float[x.length];
        r.adjoint(y, 0, aty, 0);
        assertEquals(dot(ax, y), dot(x, aty), 1e-4 * Math.max(1, Math.abs(dot(ax, y))));
        assertTrue(dot(x, aty) != 0, "the map is not zero");
    }

    @Test
    void resamplingAdjointsPassTheDotProductTest() {
        assertAdjoint(Resample.pad(9, 7, 3, 0.5), 1);
        assertAdjoint(Resample.translate(9, 9, 2, 5), 2);
        assertAdjoint(Resample.resize(9, 9, 13, 11), 3);
        assertAdjoint(Resample.resize(13, 13, 7, 7), 4);
        assertAdjoint(Resample.rotate(12, 12, 7), 5);
        assertAdjoint(Resample.rotate(11, 11, -10), 6);
        for (int seed = 0; seed < 4; seed++) {
            assertAdjoint(Transforms.standard().draw(12, 12, 20, 20, new SplittableRandom(seed)).get(0), 10 + seed);
        }
    }

    @Test
    void resamplingDoesWhatItSays() {
        float[] x = random(5 * 5, 7);
        float[] padded = new float[9 * 9];
        Resample.pad(5, 5, 2, 0.5).forward(x, 0, padded, 0);
        assertEquals(0.5f, padded[0]);
        assertEquals(x[0], padded[2 * 9 + 2]);
        float[] moved = new float[25];
        Resample.translate(5, 5, 1, 2).forward(x, 0, moved, 0);
        assertEquals(x[0], moved[1 * 5 + 2]);
        assertEquals(0f, moved[0]);
        float[] same = new float[25];
        Resample.rotate(5, 5, 0).forward(x, 0, same, 0);
        assertArrayEquals(x, same, 1e-6f);
        float[] quarter = new float[25];
        Resample.rotate(5, 5, 90).forward(x, 0, quarter, 0);
        assertEquals(x[2 * 5 + 2], quarter[2 * 5 + 2], 1e-6, "the centre stays");
        float[] up = new float[9 * 9];
        Resample.resize(5, 5, 9, 9).forward(x, 0, up, 0);
        assertEquals(x[0], up[0], 1e-6, "corners aligned");
        assertEquals(x[24], up[80], 1e-6);
        assertEquals((x[0] + x[1]) / 2, up[1], 1e-6, "halfway between");
    }

    @Test
    void colourAndRangeGradientsMatchFiniteDifferences() {
        Colour colour = new Colour(3, 4, true);
        float[] t = random(12, 3);
        float[] w = random(12, 4);
        float[] rgb = new float[12];
        colour.forward(t, 0, rgb, 0);
        float[] dt = new float[12];
        colour.adjoint(rgb, 0, w, 0, dt, 0);
        for (int i = 0; i < 12; i++) {
            float[] plus = t.clone();
            float[] minus = t.clone();
            plus[i] += 1e-3f;
            minus[i] -= 1e-3f;
            float[] a = new float[12];
            float[] b = new float[12];
            colour.forward(plus, 0, a, 0);
            colour.forward(minus, 0, b, 0);
            assertEquals((dot(a, w) - dot(b, w)) / 2e-3, dt[i], 1e-3, "parameter " + i);
        }
        InputRange range = InputRange.preset("torchvision");
        float[] g = w.clone();
        range.adjoint(g, 0, 3, 4);
        assertEquals(w[5] / 0.224, g[5], 1e-5);
    }

    /** The whole pipeline: d <v, network input> / d parameters against central differences, for every combination. */
    @ParameterizedTest
    @CsvSource({"true, true, standard, NCHW, false", "false, false, standard, NHWC, false", "true, false, none, NHWC, false",
        "false, true, 'pad(2),rotate(-5:5)', NCHW, false", "true, true, standard, NCHW, true", "false, false, standard, NHWC, true"})
    void pipelineGradientMatchesFiniteDifferences(boolean fft, boolean decorrelate, String transforms, InputSpec.Layout layout, boolean sequential) {
        LucidRecipe recipe = new LucidRecipe(fft, decorrelate, Transforms.parse(transforms).sequential(sequential), true,
                InputRange.preset("keras-inception"), 12);
        InputSpec net = new InputSpec("x", layout, 3, 20, 20);
        ImagePipeline pipe = new ImagePipeline(recipe, net, 12, 9);
        float[] p = new float[pipe.parameters()];
        pipe.init(p, 0, 3);
        // Larger than the start's 0.01 so the sigmoid's curvature shows.
        for (int i = 0; i < p.length; i++) {
            p[i] *= 30;
        }
        float[] v = random(net.elements(), 5);
        float[] x = new float[net.elements()];
        ImagePipeline.Trace trace = pipe.forward(p, 0, 3, 7, x, 0);
        float[] dp = new float[p.length];
        pipe.backward(trace, v, 0, p, 0, dp, 0);
        double err = 0;
        double norm = 0;
        double eps = fft ? 1e-2 : 1e-3;
        for (int i = 0; i < p.length; i += Math.max(1, p.length / 60)) {
            float[] q = p.clone();
            q[i] += (float) eps;
            float[] a = new float[x.length];
            pipe.forward(q, 0, 3, 7, a, 0);
            q[i] -= (float) (2 * eps);
            float[] b = new float[x.length];
            pipe.forward(q, 0, 3, 7, b, 0);
            double fd = (dot(a, v) - dot(b, v)) / (2 * eps);
            err += (fd - dp[i]) * (fd - dp[i]);
            norm += fd * fd;
        }
        assertTrue(norm > 0, "the input depends on the parameters");
        assertTrue(Math.sqrt(err / norm) < 1e-2, "relative error against finite differences " + Math.sqrt(err / norm));
    }

    /**
     * Resampling in turn (Lucent's way) draws the same transformations as the composite: shifts
     * alone (whole pixels, no resize: 40 + 2 * 4 = 48) give the same input either way, and a scale
     * and rotation give a different one (interpolated several times), whose high frequencies are weaker.
     */
    @Test
    void sequentialResamplingDrawsTheSameTransformations() {
        for (String t : new String[] {"pad(4),jitter(3),jitter(2)", "standard"}) {
            int side = t.startsWith("pad") ? 48 : 40;
            InputSpec net = new InputSpec("x", InputSpec.Layout.NCHW, 3, side, side);
            float[][] xs = new float[2][net.elements()];
            for (int k = 0; k < 2; k++) {
                LucidRecipe recipe = new LucidRecipe(false, false, Transforms.parse(t).sequential(k == 1), true, InputRange.UNIT, 40);
                ImagePipeline pipe = new ImagePipeline(recipe, net, 40, 4);
                float[] p = random(pipe.parameters(), 11);
                pipe.forward(p, 0, 1, 3, xs[k], 0);
            }
            if (t.startsWith("pad")) {
                assertArrayEquals(xs[0], xs[1], 1e-6f, t + ": whole-pixel shifts are the same either way");
            } else {
                assertTrue(roughness(xs[1], side) < roughness(xs[0], side), t + ": interpolating in turn smooths more");
            }
        }
    }

    /** Sum of squared differences of horizontal neighbours, rows {@code w} wide. */
    static double roughness(float[] x, int w) {
        double s = 0;
        for (int i = 1; i < x.length; i++) {
            if (i % w != 0) {
                s += (x[i] - x[i - 1]) * (x[i] - x[i - 1]);
            }
        }
        return s;
    }

    @Test
    void drawsDependOnSeedFilterAndStepOnly() {
        LucidRecipe recipe = LucidRecipe.standard(InputRange.UNIT);
        InputSpec net = new InputSpec("x", InputSpec.Layout.NCHW, 3, 16, 16);
        ImagePipeline a = new ImagePipeline(recipe, net, 16, 1);
        float[] p = new float[a.parameters()];
        a.init(p, 0, 2);
        float[] x1 = new float[net.elements()];
        float[] x2 = new float[net.elements()];
        float[] x3 = new float[net.elements()];
        a.forward(p, 0, 2, 5, x1, 0);
        new ImagePipeline(recipe, net, 16, 1).forward(p, 0, 2, 5, x2, 0);
        a.forward(p, 0, 2, 6, x3, 0);
        assertArrayEquals(x1, x2, "the same draw for the same seed, filter and step");
        assertNotEquals(java.util.Arrays.toString(x1), java.util.Arrays.toString(x3));
    }

    @Test
    void transformListsParseAndBadOnesSayWhy() {
        assertEquals("[pad(12), jitter(8), scale(0.9:1.1), rotate(-10:10)]",
                Transforms.parse("pad(12), jitter(8),scale(0.9:1.1),rotate(-10:10)").describe());
        assertEquals("standard [pad(12), jitter(8), scale(0.9:1.1), rotate(-10:10), jitter(4)]", Transforms.standard().describe());
        for (String[] bad : List.of(new String[] {"pad(1.5)", "whole number of pixels"}, new String[] {"blur(3)", "is not pad(N)"},
                new String[] {"rotate(10:-10)", "whole degrees A <= B"}, new String[] {"scale(0:2)", "between 0.1 and 10"})) {
            FiltervisException e = org.junit.jupiter.api.Assertions.assertThrows(FiltervisException.class, () -> Transforms.parse(bad[0]));
            assertTrue(e.usage() && e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
