package org.filtervis.core.lucid;

import org.jtransforms.fft.DoubleFFT_1D;
import pl.edu.icm.jlargearrays.ConcurrencyUtils;

/**
 * Lucid's FFT image parameterization for one image of {@code channels} x {@code h} x {@code w}:
 * the parameters are a complex spectrum Z[c][u][v] (u < h, v <= w / 2, real and imaginary parts
 * interleaved), and the image is x = irfft2(Z * s) / 4 with the orthonormal inverse real FFT and
 * s[u][v] = 1 / max(f[u][v], 1 / max(w, h))^decay, f the frequency (cycles per pixel), so low
 * frequencies dominate and the image starts as smooth noise.
 *
 * <p>The inverse real FFT is the one PyTorch's {@code irfftn} and TensorFlow's {@code irfft2d}
 * compute: a complex inverse FFT down each column, then along each row
 * x = Re(sum over v of c_v Y[v] e^(2 pi i v x / w)), c_v = 1 for v = 0 and v = w / 2, else 2.
 * {@link #adjoint} is its exact transpose (real and imaginary parts as separate parameters).
 */
public final class Spectrum {
    static {
        // Row and column transforms are short; the library's own threads would only compete with the backend's.
        ConcurrencyUtils.setNumberOfThreads(1);
    }

    /** Lucid's divisor of the image ("magic constant 4"). */
    static final double MAGIC = 4;

    private final int channels;
    private final int h;
    private final int w;
    private final int half;
    private final double[] scale;
    private final DoubleFFT_1D columns;
    private final DoubleFFT_1D rows;

    public Spectrum(int channels, int h, int w, double decay) {
        this.channels = channels;
        this.h = h;
        this.w = w;
        this.half = w / 2 + 1;
        this.scale = new double[h * half];
        double floor = 1.0 / Math.max(w, h);
        for (int u = 0; u < h; u++) {
            double fy = (u <= (h - 1) / 2 ? u : u - h) / (double) h;
            for (int v = 0; v < half; v++) {
                double fx = v / (double) w;
                double f = Math.sqrt(fx * fx + fy * fy);
                // The orthonormal inverse divides by sqrt(h w); Lucid's irfft2d divides by h w and scales by sqrt(h w): the same.
                scale[u * half + v] = 1 / Math.pow(Math.max(f, floor), decay) / Math.sqrt((double) h * w) / MAGIC;
            }
        }
        this.columns = new DoubleFFT_1D(h);
        this.rows = new DoubleFFT_1D(w);
    }

    /** The plain inverse real FFT, divided by h w as numpy's, PyTorch's and TensorFlow's irfft2 are (MaCo's). */
    static Spectrum inverse(int channels, int h, int w) {
        Spectrum s = new Spectrum(channels, h, w, 0);
        java.util.Arrays.fill(s.scale, 1.0 / ((double) h * w));
        return s;
    }

    /** Parameters per image: channels x h x (w / 2 + 1) complex values. */
    public int parameters() {
        return channels * h * half * 2;
    }

    /** Pixels per image, CHW. */
    public int pixels() {
        return channels * h * w;
    }

    /** The image of the spectrum at {@code p[pOff...]}, CHW, into {@code out[oOff...]}. */
    public void render(float[] p, int pOff, float[] out, int oOff) {
        double[] col = new double[2 * h];
        double[] row = new double[2 * w];
        double[] y = new double[h * half * 2];
        for (int c = 0; c < channels; c++) {
            int base = pOff + c * h * half * 2;
            for (int v = 0; v < half; v++) {
                for (int u = 0; u < h; u++) {
                    double s = scale[u * half + v];
                    col[2 * u] = p[base + (u * half + v) * 2] * s;
                    col[2 * u + 1] = p[base + (u * half + v) * 2 + 1] * s;
                }
                columns.complexInverse(col, false);
                for (int yy = 0; yy < h; yy++) {
                    y[(yy * half + v) * 2] = col[2 * yy];
                    y[(yy * half + v) * 2 + 1] = col[2 * yy + 1];
                }
            }
            for (int yy = 0; yy < h; yy++) {
                java.util.Arrays.fill(row, 0);
                for (int v = 0; v < half; v++) {
                    double cv = weight(v);
                    row[2 * v] = cv * y[(yy * half + v) * 2];
                    row[2 * v + 1] = cv * y[(yy * half + v) * 2 + 1];
                }
                rows.complexInverse(row, false);
                for (int xx = 0; xx < w; xx++) {
                    out[oOff + (c * h + yy) * w + xx] = (float) row[2 * xx];
                }
            }
        }
    }

    /** The gradient of the parameters from the image's, {@code dOut[oOff...]} (CHW), added to {@code dp[pOff...]}. */
    public void adjoint(float[] dOut, int oOff, float[] dp, int pOff) {
        double[] col = new double[2 * h];
        double[] row = new double[2 * w];
        double[] dy = new double[h * half * 2];
        for (int c = 0; c < channels; c++) {
            for (int yy = 0; yy < h; yy++) {
                for (int xx = 0; xx < w; xx++) {
                    row[2 * xx] = dOut[oOff + (c * h + yy) * w + xx];
                    row[2 * xx + 1] = 0;
                }
                rows.complexForward(row);
                for (int v = 0; v < half; v++) {
                    double cv = weight(v);
                    dy[(yy * half + v) * 2] = cv * row[2 * v];
                    dy[(yy * half + v) * 2 + 1] = cv * row[2 * v + 1];
                }
            }
            int base = pOff + c * h * half * 2;
            for (int v = 0; v < half; v++) {
                for (int yy = 0; yy < h; yy++) {
                    col[2 * yy] = dy[(yy * half + v) * 2];
                    col[2 * yy + 1] = dy[(yy * half + v) * 2 + 1];
                }
                columns.complexForward(col);
                for (int u = 0; u < h; u++) {
                    double s = scale[u * half + v];
                    dp[base + (u * half + v) * 2] += (float) (col[2 * u] * s);
                    dp[base + (u * half + v) * 2 + 1] += (float) (col[2 * u + 1] * s);
                }
            }
        }
    }

    /** c_v: the bins v = 0 and (for even w) v = w / 2 stand for themselves, the others also for their mirror image. */
    private double weight(int v) {
        return v == 0 || (w % 2 == 0 && v == w / 2) ? 1 : 2;
    }
}
