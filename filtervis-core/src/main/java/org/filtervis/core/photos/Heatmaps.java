package org.filtervis.core.photos;

import java.util.Arrays;
import org.filtervis.api.RgbImage;

/**
 * Maps as pictures. The colormap is filtervis's own perceptual one: lightness rises linearly in
 * Oklab from dark blue through teal and green to yellow (like viridis), so brighter always means
 * more and the map reads in grey too.
 */
public final class Heatmaps {
    /** Oklab anchors (L, a, b): blue-violet, teal, green, yellow; lightness evenly spaced. */
    private static final double[][] ANCHORS = {{0.30, 0.03, -0.13}, {0.53, -0.07, -0.03}, {0.76, -0.14, 0.09}, {0.95, -0.04, 0.17}};

    private static final int[] TABLE = table();

    private Heatmaps() {}

    /** The colour of v in [0, 1], as 0xRRGGBB. */
    public static int colour(double v) {
        int i = (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
        return TABLE[i];
    }

    /** Oklab lightness of the table's entries rises: checked by the tests. */
    static double lightness(int i) {
        return ANCHORS[0][0] + (ANCHORS[ANCHORS.length - 1][0] - ANCHORS[0][0]) * i / 255.0;
    }

    private static int[] table() {
        int[] t = new int[256];
        for (int i = 0; i < 256; i++) {
            double pos = i / 255.0 * (ANCHORS.length - 1);
            int seg = Math.min((int) pos, ANCHORS.length - 2);
            double f = pos - seg;
            double[] lab = new double[3];
            for (int k = 0; k < 3; k++) {
                lab[k] = ANCHORS[seg][k] * (1 - f) + ANCHORS[seg + 1][k] * f;
            }
            t[i] = oklabToSrgb(lab[0], lab[1], lab[2]);
        }
        return t;
    }

    /** Björn Ottosson's Oklab to linear sRGB, then the sRGB transfer curve, clipped. */
    static int oklabToSrgb(double l, double a, double b) {
        double l1 = Math.pow(l + 0.3963377774 * a + 0.2158037573 * b, 3);
        double m1 = Math.pow(l - 0.1055613458 * a - 0.0638541728 * b, 3);
        double s1 = Math.pow(l - 0.0894841775 * a - 1.2914855480 * b, 3);
        double r = 4.0767416621 * l1 - 3.3077115913 * m1 + 0.2309699292 * s1;
        double g = -1.2684380046 * l1 + 2.6097574011 * m1 - 0.3413193965 * s1;
        double bl = -0.0041960863 * l1 - 0.7034186147 * m1 + 1.7076147010 * s1;
        return byteOf(r) << 16 | byteOf(g) << 8 | byteOf(bl);
    }

    private static int byteOf(double linear) {
        double v = Math.max(0, Math.min(1, linear));
        double s = v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
        return (int) Math.round(s * 255);
    }

    /**
     * The map scaled for showing, into [0, 1]: |v| over its 99.5th percentile for the pixel
     * methods (a few extreme pixels would make the rest black), over its maximum for the class
     * activation maps (non-negative, 0 meaning no evidence). An all-zero map stays zero.
     */
    public static float[] normalized(float[] map, boolean percentile) {
        float[] abs = new float[map.length];
        for (int i = 0; i < map.length; i++) {
            abs[i] = Math.abs(map[i]);
        }
        float top;
        if (percentile) {
            float[] sorted = abs.clone();
            Arrays.sort(sorted);
            top = sorted[Math.min(sorted.length - 1, (int) Math.floor(0.995 * (sorted.length - 1)))];
            if (top == 0) {
                top = sorted[sorted.length - 1];
            }
        } else {
            top = 0;
            for (float v : abs) {
                top = Math.max(top, v);
            }
        }
        float[] out = new float[map.length];
        if (top > 0) {
            for (int i = 0; i < map.length; i++) {
                out[i] = Math.min(1, abs[i] / top);
            }
        }
        return out;
    }

    /** The heat map alone. */
    public static RgbImage heat(float[] normalized, int size) {
        byte[] rgb = new byte[size * size * 3];
        for (int p = 0; p < size * size; p++) {
            put(rgb, p, colour(normalized[p]));
        }
        return new RgbImage(size, size, rgb);
    }

    /** The heat map over the photo: half and half where the map is strong, the photo alone where it is zero. */
    public static RgbImage overlay(float[] photoChw, float[] normalized, int size) {
        byte[] rgb = new byte[size * size * 3];
        int pixels = size * size;
        for (int p = 0; p < pixels; p++) {
            int c = colour(normalized[p]);
            double alpha = 0.6 * Math.sqrt(normalized[p]);
            int r = mix(photoChw[p], c >> 16 & 0xff, alpha);
            int g = mix(photoChw[pixels + p], c >> 8 & 0xff, alpha);
            int b = mix(photoChw[2 * pixels + p], c & 0xff, alpha);
            put(rgb, p, r << 16 | g << 8 | b);
        }
        return new RgbImage(size, size, rgb);
    }

    /** The photo as the network saw it (resized and cropped). */
    public static RgbImage photo(float[] photoChw, int size) {
        return overlay(photoChw, new float[size * size], size);
    }

    private static int mix(float photo, int colour, double alpha) {
        return (int) Math.round(Math.max(0, Math.min(255, (1 - alpha) * photo * 255 + alpha * colour)));
    }

    private static void put(byte[] rgb, int p, int c) {
        rgb[p * 3] = (byte) (c >> 16);
        rgb[p * 3 + 1] = (byte) (c >> 8);
        rgb[p * 3 + 2] = (byte) c;
    }

    /**
     * Bilinear resize of an h x w map to oh x ow with half-pixel centres, as PyTorch's
     * {@code interpolate(mode='bilinear', align_corners=False)} (and OpenCV's resize) do.
     */
    public static float[] upsample(float[] map, int h, int w, int oh, int ow) {
        float[] out = new float[oh * ow];
        for (int y = 0; y < oh; y++) {
            double sy = Math.max(0, (y + 0.5) * h / oh - 0.5);
            int y0 = Math.min((int) sy, h - 1);
            int y1 = Math.min(y0 + 1, h - 1);
            double fy = sy - y0;
            for (int x = 0; x < ow; x++) {
                double sx = Math.max(0, (x + 0.5) * w / ow - 0.5);
                int x0 = Math.min((int) sx, w - 1);
                int x1 = Math.min(x0 + 1, w - 1);
                double fx = sx - x0;
                double top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
                double bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
                out[y * ow + x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }
}
