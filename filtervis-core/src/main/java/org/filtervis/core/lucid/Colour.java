package org.filtervis.core.lucid;

/**
 * From the parameterization's unbounded values to colours in [0, 1]: Lucid's decorrelation (for
 * three channels) then a sigmoid. Decorrelation multiplies each pixel's three values by Lucid's
 * {@code color_correlation_svd_sqrt} (the square root of ImageNet's colour covariance), divided by
 * its largest column norm, so the optimizer's steps move along natural colour directions.
 */
public final class Colour {
    /** Lucid's {@code color_correlation_svd_sqrt}. */
    static final double[][] CORRELATION_SQRT = {{0.26, 0.09, 0.02}, {0.27, 0.00, -0.05}, {0.27, -0.09, 0.03}};
    /** Normalized by the largest column norm. */
    static final double[][] DECORRELATION = normalized();

    private final int channels;
    private final int pixels;
    private final boolean decorrelate;

    /** {@code decorrelate} applies only to three channels; other images get the sigmoid alone. */
    public Colour(int channels, int pixels, boolean decorrelate) {
        this.channels = channels;
        this.pixels = pixels;
        this.decorrelate = decorrelate && channels == 3;
    }

    public boolean decorrelates() {
        return decorrelate;
    }

    private static double[][] normalized() {
        double largest = 0;
        for (int j = 0; j < 3; j++) {
            double norm = 0;
            for (int i = 0; i < 3; i++) {
                norm += CORRELATION_SQRT[i][j] * CORRELATION_SQRT[i][j];
            }
            largest = Math.max(largest, Math.sqrt(norm));
        }
        double[][] m = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                m[i][j] = CORRELATION_SQRT[i][j] / largest;
            }
        }
        return m;
    }

    /** rgb = sigmoid(M t) per pixel (CHW, one image at {@code off}), into {@code rgb}. */
    public void forward(float[] t, int tOff, float[] rgb, int rOff) {
        for (int p = 0; p < pixels; p++) {
            for (int c = 0; c < channels; c++) {
                double v = mixed(t, tOff, c, p);
                rgb[rOff + c * pixels + p] = (float) (1 / (1 + Math.exp(-v)));
            }
        }
    }

    /** dt += M^T (drgb * rgb (1 - rgb)), given the forward's output {@code rgb}. */
    public void adjoint(float[] rgb, int rOff, float[] dRgb, int dOff, float[] dt, int tOff) {
        double[] dv = new double[channels];
        for (int p = 0; p < pixels; p++) {
            for (int c = 0; c < channels; c++) {
                double s = rgb[rOff + c * pixels + p];
                dv[c] = dRgb[dOff + c * pixels + p] * s * (1 - s);
            }
            for (int j = 0; j < channels; j++) {
                double sum = 0;
                if (decorrelate) {
                    for (int c = 0; c < 3; c++) {
                        sum += DECORRELATION[c][j] * dv[c];
                    }
                } else {
                    sum = dv[j];
                }
                dt[tOff + j * pixels + p] += (float) sum;
            }
        }
    }

    private double mixed(float[] t, int off, int c, int p) {
        if (!decorrelate) {
            return t[off + c * pixels + p];
        }
        return DECORRELATION[c][0] * t[off + p] + DECORRELATION[c][1] * t[off + pixels + p] + DECORRELATION[c][2] * t[off + 2 * pixels + p];
    }
}
