package org.filtervis.core.explain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The path integral of Integrated Gradients, the integral over a in [0, 1] of the gradient at
 * b + a (x - b), by the midpoint rule on intervals of the path. {@code uniform}: {@code budget}
 * equal intervals. {@code adaptive}: a quarter of the budget in equal intervals, then, while
 * gradients are left, the intervals with the largest completeness gap |f(end) - f(start) -
 * width * grad(mid) . (x - b)| are cut in three (the centre third keeps its midpoint, so each cut
 * costs two gradients and two forward passes), up to eight in one batch, those within 10x of the
 * largest gap. A ReLU network's score is piecewise linear along
 * the path, so an interval without a kink has no gap at all: the gradients go where the kinks are.
 */
final class PathIntegral {
    /** The class score of each image. */
    interface Scores {
        double[] of(List<float[]> images);
    }

    /** The class score's gradient for each image. */
    interface Gradients {
        List<float[]> of(List<float[]> images);
    }

    /** The sum of width * gradient over the intervals; the rule's estimate of f(x) - f(b) and the exact value. */
    record Outcome(double[] integral, int gradients, int intervals, double estimate, double exact) {}

    private static final class Interval {
        final double start;
        final double end;
        final double fStart;
        final double fEnd;
        final float[] gradient;
        final double dot;

        Interval(double start, double end, double fStart, double fEnd, float[] gradient, double dot) {
            this.start = start;
            this.end = end;
            this.fStart = fStart;
            this.fEnd = fEnd;
            this.gradient = gradient;
            this.dot = dot;
        }

        double gap() {
            return fEnd - fStart - (end - start) * dot;
        }
    }

    private PathIntegral() {}

    static Outcome integrate(float[] b, float[] x, int budget, boolean adaptive, int chunk, Scores f, Gradients g) {
        int n0 = adaptive ? Math.max(1, budget / 4) : budget;
        List<Double> edges = new ArrayList<>();
        for (int i = 0; i <= n0; i++) {
            edges.add((double) i / n0);
        }
        double[] fEdges = scores(edges, b, x, f, chunk);
        List<Double> mids = new ArrayList<>();
        for (int i = 0; i < n0; i++) {
            mids.add((i + 0.5) / n0);
        }
        List<float[]> grads = gradients(mids, b, x, g, chunk);
        List<Interval> intervals = new ArrayList<>();
        for (int i = 0; i < n0; i++) {
            intervals.add(new Interval(edges.get(i), edges.get(i + 1), fEdges[i], fEdges[i + 1], grads.get(i), dot(grads.get(i), b, x)));
        }
        int used = n0;
        int perRound = Math.max(1, chunk / 2);
        while (adaptive && used + 2 <= budget) {
            int r = Math.min(perRound, (budget - used) / 2);
            List<Interval> worst = new ArrayList<>(intervals);
            worst.sort(Comparator.comparingDouble((Interval iv) -> -Math.abs(iv.gap())).thenComparingDouble(iv -> iv.start));
            double largest = Math.abs(worst.get(0).gap());
            if (largest == 0) {
                break; // exact already
            }
            // A round cuts, at most r at once (one batch), the intervals whose gap is within 10x of the largest.
            int cut = 1;
            while (cut < Math.min(r, worst.size()) && Math.abs(worst.get(cut).gap()) >= largest / 10) {
                cut++;
            }
            worst = worst.subList(0, cut);
            List<Double> newEdges = new ArrayList<>();
            List<Double> newMids = new ArrayList<>();
            for (Interval iv : worst) {
                double w = (iv.end - iv.start) / 3;
                newEdges.add(iv.start + w);
                newEdges.add(iv.start + 2 * w);
                newMids.add(iv.start + w / 2);
                newMids.add(iv.start + 2.5 * w);
            }
            double[] fNew = scores(newEdges, b, x, f, chunk);
            List<float[]> gNew = gradients(newMids, b, x, g, chunk);
            for (int i = 0; i < worst.size(); i++) {
                Interval iv = worst.get(i);
                double p1 = newEdges.get(2 * i);
                double p2 = newEdges.get(2 * i + 1);
                intervals.remove(iv);
                intervals.add(new Interval(iv.start, p1, iv.fStart, fNew[2 * i], gNew.get(2 * i), dot(gNew.get(2 * i), b, x)));
                intervals.add(new Interval(p1, p2, fNew[2 * i], fNew[2 * i + 1], iv.gradient, iv.dot));
                intervals.add(new Interval(p2, iv.end, fNew[2 * i + 1], iv.fEnd, gNew.get(2 * i + 1), dot(gNew.get(2 * i + 1), b, x)));
            }
            used += 2 * worst.size();
        }
        intervals.sort(Comparator.comparingDouble(iv -> iv.start)); // a fixed order of summation: the same bytes every run
        double[] integral = new double[x.length];
        double estimate = 0;
        for (Interval iv : intervals) {
            double w = iv.end - iv.start;
            for (int j = 0; j < x.length; j++) {
                integral[j] += w * iv.gradient[j];
            }
            estimate += w * iv.dot;
        }
        return new Outcome(integral, used, intervals.size(), estimate, fEdges[n0] - fEdges[0]);
    }

    private static double dot(float[] g, float[] b, float[] x) {
        double s = 0;
        for (int j = 0; j < g.length; j++) {
            s += (double) g[j] * ((double) x[j] - b[j]);
        }
        return s;
    }

    static float[] point(double a, float[] b, float[] x) {
        float[] p = new float[x.length];
        for (int j = 0; j < p.length; j++) {
            p[j] = (float) (b[j] + a * ((double) x[j] - b[j]));
        }
        return p;
    }

    private static double[] scores(List<Double> at, float[] b, float[] x, Scores f, int chunk) {
        double[] out = new double[at.size()];
        for (int s = 0; s < at.size(); s += chunk) {
            List<float[]> images = new ArrayList<>();
            for (int i = s; i < Math.min(at.size(), s + chunk); i++) {
                images.add(point(at.get(i), b, x));
            }
            double[] v = f.of(images);
            System.arraycopy(v, 0, out, s, v.length);
        }
        return out;
    }

    private static List<float[]> gradients(List<Double> at, float[] b, float[] x, Gradients g, int chunk) {
        List<float[]> out = new ArrayList<>();
        for (int s = 0; s < at.size(); s += chunk) {
            List<float[]> images = new ArrayList<>();
            for (int i = s; i < Math.min(at.size(), s + chunk); i++) {
                images.add(point(at.get(i), b, x));
            }
            out.addAll(g.of(images));
        }
        return out;
    }
}
