package org.filtervis.core.lucid;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.io.Npy;
import org.jtransforms.fft.DoubleFFT_1D;

/**
 * MaCo's fixed magnitude: the mean |rfft2| of natural photos in Lucid's decorrelated colour space
 * (each pixel's colours multiplied by the inverse of {@link Colour}'s recorrelation), C x S x
 * (S / 2 + 1) for S x S photos, as Xplique defines its ImageNet spectrum. A stored spectrum is
 * resized to the buffer's spectrum shape bilinearly (half-pixel centres, as Xplique's
 * {@code tf.image.resize} does).
 */
public final class MagnitudeSpectrum {
    /** The spectrum the distribution ships (tools/make_spectrum.sh says from which photos). */
    static final String SHIPPED = "spectrum-photos-128.npy";
    /** The largest stored side we read: a 4096 px spectrum is 100 MB of floats. */
    static final int MAX_SIDE = 4096;

    private MagnitudeSpectrum() {}

    /** Sums the magnitudes of photos one at a time (memory: one spectrum, whatever the number of photos). */
    public static final class Accumulator {
        private final int size;
        private final int half;
        private final double[] sum;
        private final double[][] inverse = invert(Colour.DECORRELATION);
        private final DoubleFFT_1D fft;
        private int photos;

        public Accumulator(int size) {
            this.size = size;
            this.half = size / 2 + 1;
            this.sum = new double[3 * size * half];
            this.fft = new DoubleFFT_1D(size);
        }

        /** Adds one photo: 3 x size x size colours in [0, 1], CHW. */
        public void add(float[] rgb) {
            int pixels = size * size;
            double[] spectrum = new double[size * half * 2];
            double[] row = new double[2 * size];
            double[] col = new double[2 * size];
            for (int c = 0; c < 3; c++) {
                // Rows first (kept to the non-negative frequencies), then columns: numpy's rfft2.
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int i = y * size + x;
                        row[2 * x] = inverse[c][0] * rgb[i] + inverse[c][1] * rgb[pixels + i] + inverse[c][2] * rgb[2 * pixels + i];
                        row[2 * x + 1] = 0;
                    }
                    fft.complexForward(row);
                    System.arraycopy(row, 0, spectrum, y * half * 2, half * 2);
                }
                for (int v = 0; v < half; v++) {
                    for (int u = 0; u < size; u++) {
                        col[2 * u] = spectrum[(u * half + v) * 2];
                        col[2 * u + 1] = spectrum[(u * half + v) * 2 + 1];
                    }
                    fft.complexForward(col);
                    for (int u = 0; u < size; u++) {
                        sum[(c * size + u) * half + v] += Math.hypot(col[2 * u], col[2 * u + 1]);
                    }
                }
            }
            photos++;
        }

        public int photos() {
            return photos;
        }

        /** The mean magnitude, 3 x size x (size / 2 + 1). */
        public float[] mean() {
            if (photos == 0) {
                throw FiltervisException.usage("no photo could be read; give a folder of PNG or JPEG photos");
            }
            float[] mean = new float[sum.length];
            for (int i = 0; i < sum.length; i++) {
                mean[i] = (float) (sum[i] / photos);
            }
            return mean;
        }
    }

    /** The shipped spectrum, at the buffer's spectrum shape (3 x size x (size / 2 + 1)). */
    public static float[] shipped(int size) {
        try (InputStream in = MagnitudeSpectrum.class.getResourceAsStream(SHIPPED)) {
            if (in == null) {
                throw FiltervisException.failure("the distribution's magnitude spectrum " + SHIPPED + " is missing; reinstall filtervis"
                        + " or give --spectrum FILE", null);
            }
            return fitted(Npy.parse(in.readAllBytes(), SHIPPED), SHIPPED, 3, size);
        } catch (IOException e) {
            throw FiltervisException.failure("cannot read the distribution's magnitude spectrum: " + e.getMessage(), e);
        }
    }

    /** A user's spectrum ({@code filtervis spectrum}'s output), checked, at the buffer's spectrum shape. */
    public static float[] load(Path file, int channels, int size) {
        return fitted(Npy.read(file), file.toString(), channels, size);
    }

    private static float[] fitted(Npy.Array a, String name, int channels, int size) {
        long[] s = a.shape();
        if (s.length != 3 || s[1] < 2 || s[1] > MAX_SIDE || s[2] != s[1] / 2 + 1) {
            throw FiltervisException.usage(name + " has shape " + java.util.Arrays.toString(s) + "; a magnitude spectrum is [C, S, S/2+1]"
                    + " (make one with filtervis spectrum)");
        }
        if (s[0] != channels) {
            throw FiltervisException.usage(name + " has " + s[0] + " channels but the model takes " + channels + "; make one from photos like"
                    + " the model's with filtervis spectrum");
        }
        for (float v : a.data()) {
            if (!Float.isFinite(v) || v < 0) {
                throw FiltervisException.usage(name + " holds " + v + "; a magnitude spectrum is finite and not negative");
            }
        }
        return resize(a.data(), channels, (int) s[1], (int) s[2], size, size / 2 + 1);
    }

    /** Bilinear resize of each channel's h x w map to outH x outW, half-pixel centres, edges clamped. */
    static float[] resize(float[] m, int channels, int h, int w, int outH, int outW) {
        if (h == outH && w == outW) {
            return m.clone();
        }
        float[] out = new float[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < outH; y++) {
                double sy = Math.min(h - 1, Math.max(0, (y + 0.5) * h / outH - 0.5));
                int y0 = (int) sy;
                int y1 = Math.min(h - 1, y0 + 1);
                double fy = sy - y0;
                for (int x = 0; x < outW; x++) {
                    double sx = Math.min(w - 1, Math.max(0, (x + 0.5) * w / outW - 0.5));
                    int x0 = (int) sx;
                    int x1 = Math.min(w - 1, x0 + 1);
                    double fx = sx - x0;
                    int b = c * h * w;
                    double top = m[b + y0 * w + x0] * (1 - fx) + m[b + y0 * w + x1] * fx;
                    double bottom = m[b + y1 * w + x0] * (1 - fx) + m[b + y1 * w + x1] * fx;
                    out[(c * outH + y) * outW + x] = (float) (top * (1 - fy) + bottom * fy);
                }
            }
        }
        return out;
    }

    private static double[][] invert(double[][] m) {
        double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        double[][] r = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                int i1 = (j + 1) % 3;
                int i2 = (j + 2) % 3;
                int j1 = (i + 1) % 3;
                int j2 = (i + 2) % 3;
                r[i][j] = (m[i1][j1] * m[i2][j2] - m[i1][j2] * m[i2][j1]) / det;
            }
        }
        return r;
    }
}
