package org.filtervis.core.lucid;

/**
 * Adam (Kingma and Ba 2015) with PyTorch's defaults (beta1 0.9, beta2 0.999, eps 1e-8), ascending:
 * {@code p += lr * mhat / (sqrt(vhat) + eps)} for a gradient of the objective. One state per
 * parameter vector; images of a batch keep their own.
 */
public final class Adam {
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    static final double EPS = 1e-8;

    private final double lr;
    private final float[] m;
    private final float[] v;
    private int t;

    public Adam(int parameters, double lr) {
        this.lr = lr;
        this.m = new float[parameters];
        this.v = new float[parameters];
    }

    /** One step on {@code p[off...]} from the gradient {@code g[gOff...]}. */
    public void step(float[] p, int off, float[] g, int gOff) {
        t++;
        double c1 = 1 - Math.pow(BETA1, t);
        double c2 = 1 - Math.pow(BETA2, t);
        for (int i = 0; i < m.length; i++) {
            double gi = g[gOff + i];
            m[i] = (float) (BETA1 * m[i] + (1 - BETA1) * gi);
            v[i] = (float) (BETA2 * v[i] + (1 - BETA2) * gi * gi);
            p[off + i] += (float) (lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS));
        }
    }
}
