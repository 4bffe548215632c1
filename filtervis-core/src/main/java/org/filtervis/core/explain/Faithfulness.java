package org.filtervis.core.explain;

import java.util.Arrays;

/**
 * The perturbation metrics of one map on one photo, in the model's input space (CHW, {@code size}
 * square): Deletion and Insertion (Petsiuk et al. 2018), MuFidelity (Bhatt et al. 2020) and ROAD
 * (Rong et al. 2022). Each builds all its perturbed images first and scores them as one batch
 * through {@link Scorer}. docs/explain.md states every definition; the random draws come in as
 * {@link Draws} so that an independent implementation can be given the same ones.
 */
public final class Faithfulness {
    /** MuFidelity's grid: 9 x 9 cells, 20% of them (16) removed per subset, as Xplique. */
    public static final int GRID = 9;
    public static final int CELLS_REMOVED = (int) Math.round(0.2 * GRID * GRID);
    /** ROAD's removed fractions, 10% to 90%, and its imputation noise (standard deviation). */
    public static final int[] ROAD_PERCENTS = {10, 20, 30, 40, 50, 60, 70, 80, 90};
    public static final double ROAD_NOISE = 0.01;

    /** The class's score for each of {@code n} CHW model inputs laid end to end: one backend batch. */
    public interface Scorer {
        double[] scores(float[] images, int n);
    }

    /** A curve of scores and its area. */
    public record Curve(double[] scores, double auc) {}

    private Faithfulness() {}

    /** Pixel indices by descending map value, ties by row-major index. */
    public static int[] ranking(float[] map) {
        Integer[] idx = new Integer[map.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        // Arrays.sort on objects is stable: equal values keep index order.
        // + 0f: -0 and 0 are one value here, as in a numeric sort.
        Arrays.sort(idx, (a, b) -> Float.compare(map[b] + 0f, map[a] + 0f));
        int[] out = new int[idx.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    /** The mean of the {@code curve.length - 1} trapezoids over [0, 1]. */
    public static double auc(double[] curve) {
        int s = curve.length - 1;
        double sum = 0;
        for (int i = 0; i < s; i++) {
            sum += (curve[i] + curve[i + 1]) / 2;
        }
        return sum / s;
    }

    /**
     * Deletion (from the photo, the most relevant pixels replaced by the baseline first) or
     * insertion (from the baseline, the most relevant pixels copied from the photo first): at
     * step i of {@code steps}, the first round(i * H * W / steps) ranked pixels, all channels.
     */
    public static Curve deletionOrInsertion(float[] x, float[] baseline, float[] map, int size, int steps, boolean deletion, Scorer scorer) {
        int pixels = size * size;
        int channels = x.length / pixels;
        int[] order = ranking(map);
        float[] images = new float[(steps + 1) * x.length];
        for (int i = 0; i <= steps; i++) {
            int off = i * x.length;
            System.arraycopy(deletion ? x : baseline, 0, images, off, x.length);
            long count = Math.round((double) i * pixels / steps);
            float[] from = deletion ? baseline : x;
            for (int r = 0; r < count; r++) {
                int p = order[r];
                for (int c = 0; c < channels; c++) {
                    images[off + c * pixels + p] = from[c * pixels + p];
                }
            }
        }
        double[] scores = scorer.scores(images, steps + 1);
        return new Curve(scores, auc(scores));
    }

    /** The cell of each pixel on MuFidelity's grid (rows and columns cut at floor(j * size / 9)). */
    static int[] cells(int size) {
        int[] cell = new int[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                cell[y * size + x] = (y * GRID / size) * GRID + x * GRID / size;
            }
        }
        return cell;
    }

    /**
     * MuFidelity: for each subset of cells, the map summed over its pixels against the score's drop
     * when they are set to the baseline; their Pearson correlation over the subsets.
     */
    public static double muFidelity(float[] x, float[] baseline, float[] map, int size, int[][] subsets, double photoScore, Scorer scorer) {
        int pixels = size * size;
        int channels = x.length / pixels;
        int[] cell = cells(size);
        int n = subsets.length;
        float[] images = new float[n * x.length];
        double[] attribution = new double[n];
        for (int s = 0; s < n; s++) {
            boolean[] removed = new boolean[GRID * GRID];
            for (int c : subsets[s]) {
                removed[c] = true;
            }
            int off = s * x.length;
            System.arraycopy(x, 0, images, off, x.length);
            for (int p = 0; p < pixels; p++) {
                if (removed[cell[p]]) {
                    attribution[s] += map[p];
                    for (int c = 0; c < channels; c++) {
                        images[off + c * pixels + p] = baseline[c * pixels + p];
                    }
                }
            }
        }
        double[] scores = scorer.scores(images, n);
        double[] drop = new double[n];
        for (int s = 0; s < n; s++) {
            drop[s] = photoScore - scores[s];
        }
        return pearson(attribution, drop);
    }

    static double pearson(double[] a, double[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i] / a.length;
            mb += b[i] / b.length;
        }
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return aa == 0 || bb == 0 ? Double.NaN : ab / Math.sqrt(aa * bb);
    }

    /**
     * ROAD's scores: for each fraction, the most (MoRF) or least (LeRF) relevant pixels removed
     * and filled by noisy linear imputation. {@code normals} holds one image of standard normal
     * draws per fraction (MoRF's first, then LeRF's), scaled by {@link #ROAD_NOISE} where imputed.
     */
    public static double[] road(float[] x, float[] map, int size, boolean mostRelevantFirst, float[][] normals, Scorer scorer) {
        int pixels = size * size;
        int[] order = ranking(map);
        float[] images = new float[ROAD_PERCENTS.length * x.length];
        // The fractions' imputations are independent and write their own slices: in parallel, the same bytes.
        java.util.stream.IntStream.range(0, ROAD_PERCENTS.length).parallel().forEach(i -> {
            int count = (int) Math.round(ROAD_PERCENTS[i] / 100.0 * pixels);
            boolean[] removed = new boolean[pixels];
            for (int r = 0; r < count; r++) {
                removed[order[mostRelevantFirst ? r : pixels - 1 - r]] = true;
            }
            float[] filled = impute(x, removed, size);
            float[] noise = normals[(mostRelevantFirst ? 0 : ROAD_PERCENTS.length) + i];
            for (int c = 0; c < x.length / pixels; c++) {
                for (int p = 0; p < pixels; p++) {
                    if (removed[p]) {
                        filled[c * pixels + p] += (float) (ROAD_NOISE * noise[c * pixels + p]);
                    }
                }
            }
            System.arraycopy(filled, 0, images, i * x.length, x.length);
        });
        return scorer.scores(images, ROAD_PERCENTS.length);
    }

    /** The 8 neighbours' offsets (dy, dx) and weights: 1/6 beside, 1/12 diagonal (ROAD's). */
    private static final int[][] NEIGHBOURS = {{1, 1}, {0, 1}, {-1, 1}, {1, -1}, {0, -1}, {-1, -1}, {1, 0}, {-1, 0}};

    private static double weight(int[] o) {
        return o[0] != 0 && o[1] != 0 ? 1.0 / 12 : 1.0 / 6;
    }

    /**
     * Linear imputation: each removed pixel the weighted mean of its neighbours inside the image
     * (kept or removed), as one sparse symmetric positive definite system per channel, solved by
     * conjugate gradients (Jacobi-preconditioned) in double to a relative residual of 1e-10.
     */
    public static float[] impute(float[] x, boolean[] removed, int size) {
        int pixels = size * size;
        int channels = x.length / pixels;
        int[] unknown = new int[pixels];
        Arrays.fill(unknown, -1);
        int n = 0;
        for (int p = 0; p < pixels; p++) {
            if (removed[p]) {
                unknown[p] = n++;
            }
        }
        // Per unknown: its valid neighbours' weight sum, and its 8 neighbours as (unknown index or -1 - pixel, weight); 0 weight when outside.
        double[] diagonal = new double[n];
        int[] link = new int[8 * n];
        double[] w = new double[8 * n];
        for (int p = 0, i = 0; p < pixels; p++) {
            if (!removed[p]) {
                continue;
            }
            int y = p / size;
            int xx = p % size;
            for (int k = 0; k < 8; k++) {
                int ny = y + NEIGHBOURS[k][0];
                int nx = xx + NEIGHBOURS[k][1];
                if (ny >= 0 && nx >= 0 && ny < size && nx < size) {
                    int q = ny * size + nx;
                    w[8 * i + k] = weight(NEIGHBOURS[k]);
                    diagonal[i] += w[8 * i + k];
                    link[8 * i + k] = removed[q] ? unknown[q] : -1 - q;
                }
            }
            i++;
        }
        float[] out = x.clone();
        for (int c = 0; c < channels; c++) {
            int off = c * pixels;
            double[] b = new double[n];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < 8; k++) {
                    int l = link[8 * i + k];
                    if (w[8 * i + k] != 0 && l < 0) {
                        b[i] += w[8 * i + k] * x[off - 1 - l];
                    }
                }
            }
            double[] v = conjugateGradients(b, diagonal, link, w);
            for (int p = 0; p < pixels; p++) {
                if (unknown[p] >= 0) {
                    out[off + p] = (float) v[unknown[p]];
                }
            }
        }
        return out;
    }

    /** (D - W) v over the unknowns: D the valid neighbours' weight sum, W the removed neighbours' weights. */
    private static void multiply(double[] v, double[] out, double[] diagonal, int[] link, double[] w) {
        for (int i = 0; i < v.length; i++) {
            double s = diagonal[i] * v[i];
            for (int k = 8 * i; k < 8 * i + 8; k++) {
                if (link[k] >= 0 && w[k] != 0) {
                    s -= w[k] * v[link[k]];
                }
            }
            out[i] = s;
        }
    }

    private static double[] conjugateGradients(double[] b, double[] diagonal, int[] link, double[] w) {
        int n = b.length;
        double[] v = new double[n];
        double[] r = b.clone();
        double[] z = new double[n];
        double[] p = new double[n];
        double[] ap = new double[n];
        double bNorm = Math.sqrt(dot(b, b));
        if (bNorm == 0) {
            return v;
        }
        for (int i = 0; i < n; i++) {
            z[i] = r[i] / diagonal[i];
            p[i] = z[i];
        }
        double rz = dot(r, z);
        for (int it = 0; it < 10 * n + 100; it++) {
            multiply(p, ap, diagonal, link, w);
            double alpha = rz / dot(p, ap);
            for (int i = 0; i < n; i++) {
                v[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
            }
            if (Math.sqrt(dot(r, r)) <= 1e-10 * bNorm) {
                return v;
            }
            for (int i = 0; i < n; i++) {
                z[i] = r[i] / diagonal[i];
            }
            double next = dot(r, z);
            double beta = next / rz;
            rz = next;
            for (int i = 0; i < n; i++) {
                p[i] = z[i] + beta * p[i];
            }
        }
        throw new IllegalStateException("ROAD's imputation did not converge");
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
