package org.filtervis.core.explain;

import org.filtervis.api.FiltervisException;

/**
 * The projection of a C x P map (channel-major: C channels at P positions) on its first principal
 * component, as EigenCAM defines it: the positions are the samples, each channel centred over
 * them, and the map is X v1, v1 the first right singular vector of the centred P x C matrix X.
 * Computed as sigma1 * u1 from the P x P Gram matrix X X^T by power iteration in double, its sign
 * (which PCA leaves open) chosen so that the map correlates positively with {@code reference}.
 */
final class PrincipalComponent {
    /** Iterations before the first component is called not unique (its eigenvalue shared with the second). */
    static final int MAX_ITERATIONS = 200_000;

    private PrincipalComponent() {}

    static double[] projection(double[] x, int channels, int positions, double[] reference) {
        double[] centred = x.clone();
        for (int c = 0; c < channels; c++) {
            double mean = 0;
            for (int p = 0; p < positions; p++) {
                mean += centred[c * positions + p];
            }
            mean /= positions;
            for (int p = 0; p < positions; p++) {
                centred[c * positions + p] -= mean;
            }
        }
        double[] gram = new double[positions * positions];
        for (int c = 0; c < channels; c++) {
            int o = c * positions;
            for (int p = 0; p < positions; p++) {
                double v = centred[o + p];
                if (v == 0) {
                    continue;
                }
                for (int q = 0; q < positions; q++) {
                    gram[p * positions + q] += v * centred[o + q];
                }
            }
        }
        double[] u = new double[positions];
        // A start that no eigenvector is orthogonal to in practice: the reference, centred, tilted by position.
        double refMean = 0;
        for (double r : reference) {
            refMean += r / positions;
        }
        for (int p = 0; p < positions; p++) {
            u[p] = reference[p] - refMean + 1e-3 * (1 + p % 7);
        }
        normalize(u);
        double[] next = new double[positions];
        double lambda = 0;
        boolean converged = false;
        for (int it = 0; it < MAX_ITERATIONS && !converged; it++) {
            for (int p = 0; p < positions; p++) {
                double sum = 0;
                for (int q = 0; q < positions; q++) {
                    sum += gram[p * positions + q] * u[q];
                }
                next[p] = sum;
            }
            lambda = normalize(next);
            if (lambda == 0) {
                return new double[positions]; // every channel constant: nothing varies, the map is 0
            }
            double change = 0;
            for (int p = 0; p < positions; p++) {
                change = Math.max(change, Math.abs(next[p] - u[p]));
            }
            double[] t = u;
            u = next;
            next = t;
            converged = change < 1e-13;
        }
        if (!converged) {
            throw FiltervisException.failure("the layer's first principal component is not unique (its top two are too close for "
                    + MAX_ITERATIONS + " power iterations); eigencam's map is undefined here: pick another --layer or method");
        }
        double sigma = Math.sqrt(lambda);
        double dot = 0;
        for (int p = 0; p < positions; p++) {
            u[p] *= sigma;
            dot += u[p] * (reference[p] - refMean);
        }
        if (dot < 0) {
            for (int p = 0; p < positions; p++) {
                u[p] = -u[p];
            }
        }
        return u;
    }

    /** Scales {@code v} to unit length; returns its length before. */
    private static double normalize(double[] v) {
        double n = 0;
        for (double x : v) {
            n += x * x;
        }
        n = Math.sqrt(n);
        if (n > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] /= n;
            }
        }
        return n;
    }
}
