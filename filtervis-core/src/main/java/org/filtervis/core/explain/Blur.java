package org.filtervis.core.explain;

/** A separable Gaussian blur of CHW planes, edges clamped: Integrated Gradients' blurred baseline. */
final class Blur {
    private Blur() {}

    static float[] gaussian(float[] chw, int channels, int size, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        double[] kernel = new double[2 * radius + 1];
        double total = 0;
        for (int i = -radius; i <= radius; i++) {
            kernel[i + radius] = Math.exp(-i * i / (2 * sigma * sigma));
            total += kernel[i + radius];
        }
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] /= total;
        }
        float[] out = new float[chw.length];
        float[] tmp = new float[size * size];
        for (int c = 0; c < channels; c++) {
            int off = c * size * size;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double s = 0;
                    for (int i = -radius; i <= radius; i++) {
                        s += kernel[i + radius] * chw[off + y * size + Math.min(size - 1, Math.max(0, x + i))];
                    }
                    tmp[y * size + x] = (float) s;
                }
            }
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double s = 0;
                    for (int i = -radius; i <= radius; i++) {
                        s += kernel[i + radius] * tmp[Math.min(size - 1, Math.max(0, y + i)) * size + x];
                    }
                    out[off + y * size + x] = (float) s;
                }
            }
        }
        return out;
    }
}
