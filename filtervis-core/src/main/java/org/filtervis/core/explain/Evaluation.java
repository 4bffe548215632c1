package org.filtervis.core.explain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.filtervis.api.FiltervisException;

/**
 * {@code explain --evaluate}: how faithful and how robust one method's map is on one photo, as
 * explain.json's {@code "metrics"}. The perturbation metrics are {@link Faithfulness}'s; here the
 * settings, the random draws (all from {@code --seed}) and max-sensitivity (Yeh et al. 2019).
 */
public final class Evaluation {
    /** The metrics --evaluate names. */
    public enum Metric {
        DELETION("deletion"), INSERTION("insertion"), MUFIDELITY("mufidelity"), ROAD("road"), SENSITIVITY("sensitivity"),
        /** Handled by {@link Randomization}: it needs the model's copies, not the photo's perturbations. */
        RANDOMIZATION("randomization");

        private final String word;

        Metric(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /** Max-sensitivity's perturbation radius, in the model's input space. */
    public static final double SENSITIVITY_RADIUS = 0.02;
    /** Gaussian blur of the blur baseline, in pixels. */
    public static final double BLUR_SIGMA = 5;

    /**
     * What to evaluate: the metrics, the deletion/insertion steps, the baseline (zero, blur, mean),
     * the samples of MuFidelity and max-sensitivity, and the seed of every draw.
     */
    public record Settings(List<Metric> metrics, int steps, String baseline, int samples, long seed) {
        public Settings {
            metrics = List.copyOf(metrics);
            if (steps < 1 || steps > 1000) {
                throw FiltervisException.usage("--eval-steps " + steps + " is out of range; give 1 to 1000 (default 10)");
            }
            if (!List.of("zero", "blur", "mean").contains(baseline)) {
                throw FiltervisException.usage("--eval-baseline " + baseline + " is not zero, blur or mean");
            }
            if (samples < 2 || samples > 10_000) {
                throw FiltervisException.usage("--eval-samples " + samples + " is out of range; give 2 to 10000 (default 128)");
            }
        }

        public static Settings none() {
            return new Settings(List.of(), 10, "zero", 128, 0);
        }
    }

    /** A comma-separated list of metrics, or {@code all}. */
    public static List<Metric> parse(String list) {
        LinkedHashSet<Metric> out = new LinkedHashSet<>();
        for (String part : list.split(",", -1)) {
            String w = part.strip().toLowerCase(Locale.ROOT);
            if (w.equals("all")) {
                out.addAll(List.of(Metric.values()));
                continue;
            }
            Metric found = null;
            for (Metric m : Metric.values()) {
                if (m.word.equals(w)) {
                    found = m;
                }
            }
            if (found == null) {
                throw FiltervisException.usage("--evaluate names '" + part.strip() + "'; give deletion, insertion, mufidelity, road, sensitivity,"
                        + " randomization or all");
            }
            out.add(found);
        }
        return List.copyOf(out);
    }

    /**
     * The random draws of one evaluation: MuFidelity's subsets of cells, ROAD's standard normals
     * (one CHW image per fraction, MoRF's then LeRF's), max-sensitivity's {@code samples} uniform
     * perturbations in [-1, 1] (scaled by the radius; made one at a time, they are the largest).
     * Drawn from the seed, or read from an independent implementation's files to compare with it.
     */
    public record Draws(int[][] subsets, float[][] normals, int samples, java.util.function.IntFunction<float[]> uniform) {
        /** Drawn from {@code seed}: the same numbers on every backend and run. */
        public static Draws seeded(long seed, int elements, int samples) {
            SplittableRandom r = new SplittableRandom(seed);
            int cells = Faithfulness.GRID * Faithfulness.GRID;
            int[][] subsets = new int[samples][];
            for (int s = 0; s < samples; s++) {
                int[] all = new int[cells];
                for (int i = 0; i < cells; i++) {
                    all[i] = i;
                }
                // The first CELLS_REMOVED of a Fisher-Yates shuffle, sorted.
                for (int i = 0; i < Faithfulness.CELLS_REMOVED; i++) {
                    int j = i + r.nextInt(cells - i);
                    int t = all[i];
                    all[i] = all[j];
                    all[j] = t;
                }
                subsets[s] = java.util.Arrays.stream(all, 0, Faithfulness.CELLS_REMOVED).sorted().toArray();
            }
            float[][] normals = new float[2 * Faithfulness.ROAD_PERCENTS.length][elements];
            for (float[] n : normals) {
                for (int i = 0; i < elements; i += 2) {
                    // Box-Muller from our own stream, so every JVM draws the same.
                    double u1 = 1 - r.nextDouble();
                    double u2 = r.nextDouble();
                    double rad = Math.sqrt(-2 * Math.log(u1));
                    n[i] = (float) (rad * Math.cos(2 * Math.PI * u2));
                    if (i + 1 < elements) {
                        n[i + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
                    }
                }
            }
            long uniformSeed = r.nextLong();
            return new Draws(subsets, normals, samples, s -> {
                SplittableRandom u = new SplittableRandom(uniformSeed + 0x9E3779B97F4A7C15L * (s + 1));
                float[] v = new float[elements];
                for (int i = 0; i < elements; i++) {
                    v[i] = (float) (2 * u.nextDouble() - 1);
                }
                return v;
            });
        }
    }

    private Evaluation() {}

    /** The baseline image in the model's input space (CHW): 0, the photo blurred, or each channel's mean. */
    public static float[] baseline(String kind, float[] x, int size) {
        int pixels = size * size;
        int channels = x.length / pixels;
        return switch (kind) {
            case "zero" -> new float[x.length];
            case "blur" -> Blur.gaussian(x, channels, size, BLUR_SIGMA);
            case "mean" -> {
                float[] m = new float[x.length];
                for (int c = 0; c < channels; c++) {
                    double sum = 0;
                    for (int p = 0; p < pixels; p++) {
                        sum += x[c * pixels + p];
                    }
                    java.util.Arrays.fill(m, c * pixels, (c + 1) * pixels, (float) (sum / pixels));
                }
                yield m;
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /**
     * The metrics of one map: {@code x} the photo as the model's input (CHW), {@code map} the
     * method's map at the input's resolution, {@code method} the method again on a perturbed
     * input (CHW in, its own map out) for max-sensitivity, {@code ownMap} the map it is compared to.
     */
    public static Map<String, Object> evaluate(Settings s, Draws draws, float[] x, int size, float[] map, float[] ownMap,
            Function<float[], float[]> method, Faithfulness.Scorer scorer) {
        Map<String, Object> out = new LinkedHashMap<>();
        float[] base = baseline(s.baseline(), x, size);
        for (Metric m : s.metrics()) {
            switch (m) {
                case DELETION -> {
                    Faithfulness.Curve c = Faithfulness.deletionOrInsertion(x, base, map, size, s.steps(), true, scorer);
                    out.put("deletion_auc", c.auc());
                    out.put("deletion_curve", list(c.scores()));
                }
                case INSERTION -> {
                    Faithfulness.Curve c = Faithfulness.deletionOrInsertion(x, base, map, size, s.steps(), false, scorer);
                    out.put("insertion_auc", c.auc());
                    out.put("insertion_curve", list(c.scores()));
                }
                case MUFIDELITY -> {
                    double photo = scorer.scores(x, 1)[0];
                    out.put("mufidelity", Faithfulness.muFidelity(x, base, map, size, draws.subsets(), photo, scorer));
                }
                case ROAD -> {
                    double[] morf = Faithfulness.road(x, map, size, true, draws.normals(), scorer);
                    double[] lerf = Faithfulness.road(x, map, size, false, draws.normals(), scorer);
                    double sum = 0;
                    for (int i = 0; i < morf.length; i++) {
                        sum += (lerf[i] - morf[i]) / 2;
                    }
                    out.put("road_morf", list(morf));
                    out.put("road_lerf", list(lerf));
                    out.put("road", sum / morf.length);
                }
                case SENSITIVITY -> out.put("sensitivity_max", maxSensitivity(x, ownMap, draws, method));
                case RANDOMIZATION -> { } // by Randomization, on the model's copies
            }
        }
        return out;
    }

    /** The largest ||M(x + d) - M(x)|| / ||M(x)|| over the perturbations d = radius * u. */
    static double maxSensitivity(float[] x, float[] map, Draws draws, Function<float[], float[]> method) {
        double norm = 0;
        for (float v : map) {
            norm += (double) v * v;
        }
        norm = Math.sqrt(norm);
        double worst = 0;
        for (int s = 0; s < draws.samples(); s++) {
            float[] u = draws.uniform().apply(s);
            float[] xp = x.clone();
            for (int i = 0; i < xp.length; i++) {
                xp[i] += (float) (SENSITIVITY_RADIUS * u[i]);
            }
            float[] mp = method.apply(xp);
            double d = 0;
            for (int i = 0; i < mp.length; i++) {
                double e = mp[i] - map[i];
                d += e * e;
            }
            worst = Math.max(worst, norm == 0 ? (d == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(d) / norm);
        }
        return worst;
    }

    private static List<Double> list(double[] v) {
        List<Double> out = new ArrayList<>(v.length);
        for (double d : v) {
            out.add(d);
        }
        return out;
    }
}
