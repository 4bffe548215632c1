package org.filtervis.core.explain;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Model;

/**
 * The cascading model-parameter randomisation test (Adebayo et al. 2018): copies of the model
 * whose weighted layers are re-drawn from the top, one block at a time, each opened on the run's
 * backend; a method's map on each copy against its map on the trained model, by Spearman's rank
 * correlation. A map that barely changes when the weights it should explain are random does not
 * depend on them. The copies are written once per run (by {@link Copies}, which rewrites the
 * graph, so every backend sees the same re-drawn weights) and opened in turn for each photo.
 */
public final class Randomization implements AutoCloseable {
    /** A copy: how many weighted layers it re-draws (the top ones), of how many, and its file. */
    public record Level(int layersRandomized, int layersTotal, Path file) {}

    /** Writes the randomised copies of a model (filtervis-models rewrites ONNX graphs). */
    public interface Copies {
        /**
         * Copies of {@code model} with the weighted layers of its top 1, 2, ... blocks re-drawn from
         * {@code seed} (each weight from a normal distribution with its layer's own spread), the
         * blocks separated by {@code blockOutputs} (tensor names, any order), at most {@code
         * maxLevels} of them (evenly spaced, the last re-drawing every layer), written to {@code folder}.
         */
        List<Level> write(Path model, List<String> blockOutputs, long seed, int maxLevels, Path folder);
    }

    /** A map keeping a Spearman correlation above this once the top half is random "does not depend on the weights". */
    public static final double INSENSITIVE = 0.5;
    /** Levels at most: each is one more model open at once. */
    public static final int MAX_LEVELS = 12;

    private final List<Level> levels;
    private final Path folder;
    private final Function<Path, Model> open;
    private final Function<Model, Attributor> attribute;

    private Randomization(List<Level> levels, Path folder, Function<Path, Model> open, Function<Model, Attributor> attribute) {
        this.levels = List.copyOf(levels);
        this.folder = folder;
        this.open = open;
        this.attribute = attribute;
    }

    /**
     * Writes the copies of {@code model} into a temporary folder (removed on close); {@code open}
     * opens a file on the run's backend, {@code attribute} the run's layer and head on a model.
     */
    public static Randomization prepare(Copies copies, Path model, List<String> blockOutputs, long seed, Function<Path, Model> open,
            Function<Model, Attributor> attribute) {
        Path folder;
        try {
            folder = Files.createTempDirectory("filtervis-randomized-");
        } catch (java.io.IOException e) {
            throw FiltervisException.failure("cannot write the randomised copies of the model to a temporary folder (" + e.getMessage() + ")", e);
        }
        Randomization r = null;
        try {
            r = new Randomization(copies.write(model, blockOutputs, seed, MAX_LEVELS, folder), folder, open, attribute);
            return r;
        } finally {
            if (r == null) {
                removeFolder(folder);
            }
        }
    }

    public List<Level> levels() {
        return levels;
    }

    /** One map to test: the method, its class, and its map on the trained model. */
    public record Trained(Method method, int k, float[] map) {}

    /**
     * Each map's method for its class on every copy, against its map on the trained model: per
     * map, {@code [{"layers_randomized": n, "spearman": rho}, ...]}. One copy is open at a time
     * (each holds its backend's sessions and their memory), every map computed on it before the next.
     */
    public List<List<Map<String, Object>>> evaluate(List<Trained> maps, float[] rgb, Attributor.Settings settings) {
        List<List<Map<String, Object>>> out = new ArrayList<>();
        for (int j = 0; j < maps.size(); j++) {
            out.add(new ArrayList<>());
        }
        for (Level level : levels) {
            try (Model model = open.apply(level.file()); Attributor a = attribute.apply(model)) {
                for (int j = 0; j < maps.size(); j++) {
                    Trained t = maps.get(j);
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("layers_randomized", level.layersRandomized());
                    m.put("spearman", spearman(t.map(), a.explain(t.method(), rgb, t.k(), settings).map()));
                    out.get(j).add(m);
                }
            }
        }
        return out;
    }

    /**
     * The verdict on a method from its correlations: whether its map keeps rho above
     * {@link #INSENSITIVE} at the first level that re-draws at least half of the layers.
     */
    public static boolean dependsOnWeights(List<Map<String, Object>> result, int layersTotal) {
        for (Map<String, Object> m : result) {
            if ((int) m.get("layers_randomized") * 2 >= layersTotal) {
                double rho = (double) m.get("spearman");
                return !(rho > INSENSITIVE);
            }
        }
        return true;
    }

    /** Spearman's rank correlation: Pearson's of the ranks, ties given their mean rank (NaN when either is constant). */
    public static double spearman(float[] a, float[] b) {
        return Faithfulness.pearson(ranks(a), ranks(b));
    }

    static double[] ranks(float[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> Float.compare(v[x] + 0f, v[y] + 0f));
        double[] r = new double[v.length];
        for (int i = 0; i < idx.length;) {
            int j = i;
            while (j + 1 < idx.length && v[idx[j + 1]] + 0f == v[idx[i]] + 0f) {
                j++;
            }
            double mean = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) {
                r[idx[t]] = mean;
            }
            i = j + 1;
        }
        return r;
    }

    @Override
    public void close() {
        removeFolder(folder);
    }

    private static void removeFolder(Path folder) {
        try (var files = Files.walk(folder)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (java.io.IOException | java.io.UncheckedIOException ignored) {
            // a temporary folder: best effort
        }
    }
}
