package org.filtervis.core.lucid;

/**
 * Nadam as Keras defines it (Dozat 2016; {@code tf.keras.optimizers.Nadam}: beta1 0.9, beta2
 * 0.999, epsilon 1e-7, the momentum schedule u_t = beta1 (1 - 0.5 * 0.96^(0.004 t))), ascending:
 * MaCo's optimizer, at learning rate 1.0. One state per parameter vector.
 */
public final class Nadam {
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    static final double EPS = 1e-7;
    static final double DECAY = 0.004;

    private final double lr;
    private final float[] m;
    private final float[] v;
    private double schedule = 1;
    private int t;

    public Nadam(int parameters, double lr) {
        this.lr = lr;
        this.m = new float[parameters];
        this.v = new float[parameters];
    }

    /** One step on {@code p[off...]} along the gradient {@code g[gOff...]} of the objective. */
    public void step(float[] p, int off, float[] g, int gOff) {
        t++;
        double u = BETA1 * (1 - 0.5 * Math.pow(0.96, t * DECAY));
        double uNext = BETA1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * DECAY));
        schedule *= u;
        double scheduleNext = schedule * uNext;
        double c2 = 1 - Math.pow(BETA2, t);
        for (int i = 0; i < m.length; i++) {
            double gi = g[gOff + i];
            m[i] = (float) (BETA1 * m[i] + (1 - BETA1) * gi);
            v[i] = (float) (BETA2 * v[i] + (1 - BETA2) * gi * gi);
            double mHat = uNext * m[i] / (1 - scheduleNext) + (1 - u) * gi / (1 - schedule);
            p[off + i] += (float) (lr * mHat / (Math.sqrt(v[i] / c2) + EPS));
        }
    }
}
