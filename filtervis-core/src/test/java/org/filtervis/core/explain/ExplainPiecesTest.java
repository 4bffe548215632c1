package org.filtervis.core.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.HashSet;
import javax.imageio.ImageIO;
import org.filtervis.core.photos.Heatmaps;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.core.photos.Photos;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces of explain that need no network: layouts, maps, colours, the path integral. */
class ExplainPiecesTest {
    @TempDir
    Path dir;

    @Test
    void layoutsRoundTrip() {
        InputSpec nhwc = new InputSpec("x", InputSpec.Layout.NHWC, 3, 4, 4);
        float[] chw = new float[48];
        for (int i = 0; i < 48; i++) {
            chw[i] = i;
        }
        float[] x = Photos.toLayout(chw, 4, nhwc);
        assertEquals(16f, x[1], "NHWC: pixel 0's green is channel 1's first value");
        assertArrayEquals(chw, Photos.toChw(x, 4, nhwc));
    }

    @Test
    void upsampleMatchesHalfPixelBilinear() {
        // PyTorch: F.interpolate(tensor([[[[0., 1.], [2., 3.]]]]), size=4, mode='bilinear', align_corners=False)
        float[] up = CamMaps.upsample(new float[] {0, 1, 2, 3}, 2, 2, 4, 4);
        float[] expected = {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
        assertArrayEquals(expected, up, 1e-6f);
    }

    @Test
    void camsFollowTheirDefinitions() {
        // Two channels over two positions: A = [[1, 2], [3, 0]], G = [[1, -1], [0.5, 0.5]].
        float[] a = {1, 2, 3, 0};
        float[] g = {1, -1, 0.5f, 0.5f};
        assertArrayEquals(new float[] {1.5f, 0}, CamMaps.gradCam(a, g, 2, 2), 1e-6f); // w = (0, 0.5)
        assertArrayEquals(new float[] {2.5f, 0}, CamMaps.hiResCam(a, g, 2, 2), 1e-6f); // (1 + 1.5, -2 + 0)
        assertArrayEquals(new float[] {2.5f, 0}, CamMaps.layerCam(a, g, 2, 2), 1e-6f);
        // Grad-CAM++: channel 0: sumA 3, a = 1/(2+3) at p0 (g>0), p1's ReLU(g) = 0: w0 = 0.2; channel 1: sumA 3,
        // a = 0.25/(0.5 + 3 * 0.125) = 0.2857..., w1 = 2 * 0.2857 * 0.5.
        double w1 = 2 * 0.25 / (0.5 + 3 * 0.125) * 0.5;
        assertArrayEquals(new float[] {(float) (0.2 * 1 + w1 * 3), (float) (0.2 * 2)}, CamMaps.gradCamPlusPlus(a, g, 2, 2), 1e-6f);
    }

    @Test
    void colormapLightnessRises() {
        double previous = -1;
        for (int i = 0; i < 256; i += 5) {
            int c = Heatmaps.colour(i / 255.0);
            double luminance = 0.2126 * lin(c >> 16 & 0xff) + 0.7152 * lin(c >> 8 & 0xff) + 0.0722 * lin(c & 0xff);
            assertTrue(luminance > previous, "luminance rises at " + i);
            previous = luminance;
        }
    }

    private static double lin(int v) {
        double s = v / 255.0;
        return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    }

    /** f(p) = sum_j relu(p_j - t_j): piecewise linear along the path with a kink per coordinate. */
    private static double f(float[] p, double[] t) {
        double s = 0;
        for (int j = 0; j < p.length; j++) {
            s += Math.max(0, p[j] - t[j]);
        }
        return s;
    }

    @Test
    void pathIntegralIsCompleteAndTheAdaptiveRuleFindsTheKinks() {
        int n = 40;
        float[] b = new float[n];
        double uniformErrors = 0;
        double adaptiveErrors = 0;
        for (int seed = 0; seed < 20; seed++) {
            float[] x = new float[n];
            double[] t = new double[n];
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            double[] kinks = {r.nextDouble(), r.nextDouble(), r.nextDouble()};
            for (int j = 0; j < n; j++) {
                x[j] = (float) (0.5 + r.nextDouble());
                t[j] = kinks[j % 3] * x[j]; // three kinks on the path, at a = kinks[i]
            }
            PathIntegral.Scores scores = images -> images.stream().mapToDouble(p -> f(p, t)).toArray();
            PathIntegral.Gradients gradients = images -> {
                List<float[]> out = new ArrayList<>();
                for (float[] p : images) {
                    float[] g = new float[n];
                    for (int j = 0; j < n; j++) {
                        g[j] = p[j] > t[j] ? 1 : 0;
                    }
                    out.add(g);
                }
                return out;
            };
            double exact = f(x, t) - f(b, t);
            PathIntegral.Outcome uniform = PathIntegral.integrate(b, x, 32, false, 16, scores, gradients);
            PathIntegral.Outcome adaptive = PathIntegral.integrate(b, x, 32, true, 16, scores, gradients);
            assertEquals(exact, uniform.exact(), 1e-5);
            assertEquals(32, adaptive.gradients());
            uniformErrors += Math.abs(uniform.estimate() - exact) / exact;
            adaptiveErrors += Math.abs(adaptive.estimate() - exact) / exact;
            // The integral's dot product with (x - b) is the estimate: the bookkeeping of the cuts is right.
            double dot = 0;
            for (int j = 0; j < n; j++) {
                dot += adaptive.integral()[j] * (x[j] - b[j]);
            }
            assertEquals(adaptive.estimate(), dot, 1e-9);
            if (seed == 0) {
                PathIntegral.Outcome many = PathIntegral.integrate(b, x, 4096, false, 16, scores, gradients);
                assertEquals(exact, many.estimate(), 1e-3 * exact, "the midpoint rule converges");
            }
        }
        assertTrue(uniformErrors > 20 * 1e-3, "the kinks cost the uniform rule something: " + uniformErrors / 20);
        assertTrue(adaptiveErrors < uniformErrors / 3, "mean error: adaptive " + adaptiveErrors / 20 + " vs uniform " + uniformErrors / 20);
    }

    @Test
    void methodsParse() {
        assertEquals(List.of(Method.GRADCAM_PP, Method.INTEGRATED_GRADIENTS), Method.parse("gradcam++, ig"));
        assertEquals(12, Method.parse("all").size());
        FiltervisException e = assertThrows(FiltervisException.class, () -> Method.parse("gradcam,nope"));
        assertTrue(e.getMessage().startsWith("unknown method 'nope'; use gradcam, gradcam++"), e.getMessage());
    }

    @Test
    void photoFoldersStayInsideTheOutputAndApart() {
        Set<String> taken = new HashSet<>();
        for (String name : new String[] {"...png", "..png", ".png", "index.html.png", "a b.png", "a_b.jpg", ".hidden.png",
            "x".repeat(300) + ".png"}) {
            String folder = ExplainRun.folderName(Path.of("/photos").resolve(name), taken);
            assertFalse(folder.startsWith(".") || folder.isEmpty() || folder.contains("/"), name + " -> " + folder);
            assertFalse(folder.equals("index.html"), name + " -> " + folder);
            assertTrue(folder.length() <= 100, name + " -> " + folder);
        }
        assertEquals(8 + 1, taken.size(), "every folder apart (and index.html kept free): " + taken);
    }
}
