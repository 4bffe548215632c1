package org.filtervis.core.explain;

import org.filtervis.core.photos.Heatmaps;

/**
 * The class activation maps of one image from a layer's activation A and the class score's
 * gradient G there, both C x H x W (channel-major). Each ends in a ReLU: the map shows evidence
 * for the class, not against it. Computed in double, returned as float.
 */
final class CamMaps {
    /** Grad-CAM++'s guard against 0/0 where a channel's gradient vanishes (pytorch-grad-cam uses the same). */
    static final double GRADCAM_PP_EPS = 1e-7;

    private CamMaps() {}

    /** Grad-CAM (Selvaraju et al. 2017): w_c = mean over positions of G_c; ReLU(sum_c w_c A_c). */
    static float[] gradCam(float[] a, float[] g, int channels, int positions) {
        double[] w = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int p = 0; p < positions; p++) {
                sum += g[c * positions + p];
            }
            w[c] = sum / positions;
        }
        return weighted(a, w, channels, positions);
    }

    /**
     * Grad-CAM++ (Chattopadhay et al. 2018), the closed form of their eq. 19 for an exponential of
     * the score: alpha = G^2 / (2 G^2 + sum_positions(A_c) G^3) (0 where G is 0),
     * w_c = sum over positions of alpha * ReLU(G); ReLU(sum_c w_c A_c).
     */
    static float[] gradCamPlusPlus(float[] a, float[] g, int channels, int positions) {
        double[] w = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sumA = 0;
            for (int p = 0; p < positions; p++) {
                sumA += a[c * positions + p];
            }
            double sum = 0;
            for (int p = 0; p < positions; p++) {
                double gi = g[c * positions + p];
                if (gi == 0) {
                    continue;
                }
                double g2 = gi * gi;
                double alpha = g2 / (2 * g2 + sumA * g2 * gi + GRADCAM_PP_EPS);
                sum += alpha * Math.max(0, gi);
            }
            w[c] = sum;
        }
        return weighted(a, w, channels, positions);
    }

    /** HiResCAM (Draelos and Carin 2020): ReLU(sum_c G_c * A_c), element-wise, no averaging. */
    static float[] hiResCam(float[] a, float[] g, int channels, int positions) {
        return elementWise(a, g, channels, positions, false);
    }

    /** LayerCAM (Jiang et al. 2021): ReLU(sum_c ReLU(G_c) * A_c). */
    static float[] layerCam(float[] a, float[] g, int channels, int positions) {
        return elementWise(a, g, channels, positions, true);
    }

    /** XGrad-CAM's guard against a channel whose activations sum to 0 (pytorch-grad-cam's). */
    static final double XGRADCAM_EPS = 1e-7;

    /** XGrad-CAM (Fu et al. 2020, eq. 8): w_c = sum_p(G_c A_c) / (sum_p A_c + eps); ReLU(sum_c w_c A_c). */
    static float[] xGradCam(float[] a, float[] g, int channels, int positions) {
        double[] w = new double[channels];
        for (int c = 0; c < channels; c++) {
            double ga = 0;
            double sumA = 0;
            for (int p = 0; p < positions; p++) {
                ga += (double) g[c * positions + p] * a[c * positions + p];
                sumA += a[c * positions + p];
            }
            w[c] = ga / (sumA + XGRADCAM_EPS);
        }
        return weighted(a, w, channels, positions);
    }

    /** EigenCAM (Muhammad and Yeasin 2020): the activations' first principal component ({@link PrincipalComponent}). */
    static float[] eigenCam(float[] a, int channels, int positions) {
        double[] x = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            x[i] = a[i];
        }
        return relu(PrincipalComponent.projection(x, channels, positions, meanOverChannels(a, channels, positions)));
    }

    /** EigenGrad-CAM (pytorch-grad-cam's): the first principal component of G * A, element-wise. */
    static float[] eigenGradCam(float[] a, float[] g, int channels, int positions) {
        double[] x = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            x[i] = (double) g[i] * a[i];
        }
        return relu(PrincipalComponent.projection(x, channels, positions, meanOverChannels(a, channels, positions)));
    }

    /** The mean activation at each position: what the principal component's sign is matched to. */
    private static double[] meanOverChannels(float[] a, int channels, int positions) {
        double[] m = new double[positions];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < positions; p++) {
                m[p] += a[c * positions + p];
            }
        }
        for (int p = 0; p < positions; p++) {
            m[p] /= channels;
        }
        return m;
    }

    /** ReLU(sum_c w_c A_c): Grad-CAM's and Score-CAM's combination. */
    static float[] weighted(float[] a, double[] w, int channels, int positions) {
        double[] sum = new double[positions];
        for (int c = 0; c < channels; c++) {
            if (w[c] == 0) {
                continue;
            }
            for (int p = 0; p < positions; p++) {
                sum[p] += w[c] * a[c * positions + p];
            }
        }
        return relu(sum);
    }

    private static float[] elementWise(float[] a, float[] g, int channels, int positions, boolean positiveGradients) {
        double[] sum = new double[positions];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < positions; p++) {
                double gi = g[c * positions + p];
                sum[p] += (positiveGradients ? Math.max(0, gi) : gi) * a[c * positions + p];
            }
        }
        return relu(sum);
    }

    private static float[] relu(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) Math.max(0, v[i]);
        }
        return out;
    }

    /** Half-pixel bilinear resize ({@link Heatmaps#upsample}). */
    static float[] upsample(float[] map, int h, int w, int oh, int ow) {
        return Heatmaps.upsample(map, h, w, oh, ow);
    }
}
