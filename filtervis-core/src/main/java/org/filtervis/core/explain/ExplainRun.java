package org.filtervis.core.explain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.filtervis.core.photos.Heatmaps;
import org.filtervis.core.photos.Photos;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.io.AtomicFiles;
import org.filtervis.core.io.IoMessages;
import org.filtervis.core.io.Json;
import org.filtervis.core.io.Npy;
import org.filtervis.core.io.PngSinks;

/**
 * The explain job, one photo at a time so that memory is bounded by one photo, not the folder:
 * every photo is first decoded once as a check (a bad file stops the run before anything is
 * written), then each is decoded again, explained and written to its own folder; index.html comes
 * last. A failure part-way removes the folders this run wrote, so nothing is left half-written.
 */
public final class ExplainRun {
    /** Which classes to explain: the given ones, or each photo's top N. */
    public record Classes(List<Integer> given, int top) {}

    /** Told before each map is computed. */
    public interface Listener {
        void computing(Photos.Photo photo, Method method, int classIndex, int done, int total);
    }

    /**
     * One photo's results. What {@link #run} returns keeps only the small parts (names, scores,
     * classes, the maps' shapes and details): the pixels and maps are on disk.
     */
    public record Explained(Photos.Photo photo, String folder, float[] scores, List<Integer> classes, List<Attributor.Result> results) {}

    private ExplainRun() {}

    /**
     * Explains every photo and writes {@code out}: a folder per photo (photo.png, overlays, heat
     * maps, .npy maps, explain.json) and index.html.
     */
    public static List<Explained> run(Attributor attributor, List<Path> files, int size, List<Method> methods, Classes classes,
            Attributor.Settings settings, Evaluation.Settings evaluation, Randomization randomization, Listener listener, Path out, List<String> labels,
            Map<String, Object> record) {
        for (Path f : files) {
            Photos.read(f, size); // the check: decoded and dropped
        }
        boolean created = !Files.exists(out);
        List<Path> written = new ArrayList<>();
        boolean done = false;
        try {
            Files.createDirectories(out);
            List<Explained> all = new ArrayList<>();
            Set<String> folders = new HashSet<>();
            int total = files.size() * methods.size() * (classes.given().isEmpty() ? classes.top() : classes.given().size());
            int[] count = {0};
            for (Path f : files) {
                Explained e = explain(attributor, Photos.read(f, size), folderName(f, folders), methods, classes, settings, evaluation, randomization, listener,
                        count, total);
                Path dir = out.resolve(e.folder());
                if (!Files.exists(dir)) {
                    written.add(dir); // a folder of an earlier run is rewritten, never removed
                }
                writePhoto(out, e, labels, attributor, record);
                all.add(slim(e));
            }
            byte[] html = ExplainPage.html(all, labels, record).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(out.resolve("index.html"), o -> o.write(html));
            done = true;
            return all;
        } catch (IOException ex) {
            throw FiltervisException.failure("cannot write to " + out + " (" + IoMessages.describe(ex) + "); choose a writable folder with --out", ex);
        } finally {
            if (!done) {
                removeQuietly(written, created ? out : null);
            }
        }
    }

    /** Every chosen class and method for one photo; writes nothing. */
    static Explained explain(Attributor attributor, Photos.Photo p, String folder, List<Method> methods, Classes classes, Attributor.Settings settings,
            Evaluation.Settings evaluation, Randomization randomization, Listener listener, int[] count, int total) {
        float[] scores = attributor.scores(p.rgb());
        List<Integer> chosen = classes.given().isEmpty() ? top(scores, classes.top()) : classes.given();
        List<Attributor.Result> results = new ArrayList<>();
        float[] x = evaluation.metrics().isEmpty() ? null : attributor.inputChw(p.rgb());
        // One set of draws per photo: every method and class is measured on the same perturbations.
        Evaluation.Draws draws = x == null ? null : Evaluation.Draws.seeded(evaluation.seed(), x.length, evaluation.samples());
        for (int k : chosen) {
            for (Method m : methods) {
                listener.computing(p, m, k, count[0]++, total);
                Attributor.Result r = attributor.explain(m, p.rgb(), k, settings);
                if (x != null) {
                    int cls = k;
                    long[] before = attributor.scoringCounts();
                    long t0 = System.nanoTime();
                    Map<String, Object> metrics = Evaluation.evaluate(evaluation, draws, x, p.size(), r.upsampled(), r.map(),
                            xp -> attributor.explainInput(m, p.rgb(), attributor.layoutOf(xp), cls, settings).map(), attributor.scorer(k));
                    r.details().put("metrics", metrics);
                    long[] after = attributor.scoringCounts();
                    // What the metrics cost: their scoring batches and images (max-sensitivity's runs of the method come on top).
                    Map<String, Object> cost = new LinkedHashMap<>();
                    cost.put("scoring_calls", after[0] - before[0]);
                    cost.put("images_scored", after[1] - before[1]);
                    cost.put("method_runs", evaluation.metrics().contains(Evaluation.Metric.SENSITIVITY) ? evaluation.samples() : 0);
                    cost.put("seconds", (System.nanoTime() - t0) / 1e9);
                    r.details().put("metrics_cost", cost);
                }
                results.add(r);
            }
        }
        if (randomization != null) {
            // Every map of the photo on each randomised copy in turn: one copy open at a time.
            List<List<Map<String, Object>>> rho = randomization.evaluate(results.stream().map(r -> new Randomization.Trained(r.method(), r.classIndex(),
                    r.map())).toList(), p.rgb(), settings);
            int layers = randomization.levels().get(randomization.levels().size() - 1).layersTotal();
            for (int i = 0; i < results.size(); i++) {
                @SuppressWarnings("unchecked")
                Map<String, Object> metrics = (Map<String, Object>) results.get(i).details().get("metrics");
                metrics.put("randomization", rho.get(i));
                metrics.put("depends_on_weights", Randomization.dependsOnWeights(rho.get(i), layers));
            }
        }
        return new Explained(p, folder, scores, chosen, results);
    }

    /** The photo's result without its pixels and maps. */
    private static Explained slim(Explained e) {
        List<Attributor.Result> results = e.results().stream()
                .map(r -> new Attributor.Result(r.method(), r.classIndex(), new float[0], r.height(), r.width(), new float[0], r.details())).toList();
        return new Explained(new Photos.Photo(e.photo().file(), e.photo().size(), new float[0]), e.folder(), e.scores(), e.classes(), results);
    }

    /** Deletes what a failed run wrote (and {@code createdOut} when this run made it and it is left empty). */
    private static void removeQuietly(List<Path> folders, Path createdOut) {
        for (Path dir : folders) {
            try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // best effort: the run's own error is the one to report
            }
        }
        if (createdOut != null) {
            try {
                Files.deleteIfExists(createdOut);
            } catch (IOException ignored) {
                // not empty or not ours to remove
            }
        }
    }

    static List<Integer> top(float[] scores, int n) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            idx.add(i);
        }
        idx.sort((a, b) -> Float.compare(scores[b], scores[a]) != 0 ? Float.compare(scores[b], scores[a]) : Integer.compare(a, b));
        return List.copyOf(idx.subList(0, Math.min(n, idx.size())));
    }

    /**
     * The photo's name without its extension, made safe (no leading dots, so never "." or "..", at
     * most 100 characters) and unique among the run's and the files beside them (index.html).
     */
    static String folderName(Path file, Set<String> taken) {
        taken.add("index.html");
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String raw = dot > 0 ? name.substring(0, dot) : name;
        String base = raw.replaceAll("[^A-Za-z0-9]", "").isEmpty() ? "photo" : PngSinks.fileName(raw);
        String candidate = base;
        for (int i = 2; !taken.add(candidate); i++) {
            candidate = base + "-" + i;
        }
        return candidate;
    }

    /** The file name stem of one map: class, then method. */
    static String stem(Attributor.Result r) {
        return r.classIndex() + "_" + r.method().fileName();
    }

    /** Writes one photo's folder: photo.png, overlays, heat maps, .npy maps and explain.json. */
    static void writePhoto(Path out, Explained e, List<String> labels, Attributor attributor, Map<String, Object> record) throws IOException {
        Path dir = out.resolve(e.folder());
        if (!out.equals(dir.getParent()) || e.folder().startsWith(".")) {
            throw new IllegalStateException("photo folder '" + e.folder() + "' is not inside " + out);
        }
        Files.createDirectories(dir);
        int size = e.photo().size();
        PngSinks.write(Heatmaps.photo(e.photo().rgb(), size), dir.resolve("photo.png"));
        List<Object> entries = new ArrayList<>();
        for (Attributor.Result r : e.results()) {
            String stem = stem(r);
            float[] shown = Heatmaps.normalized(r.upsampled(), !r.method().atLayer());
            PngSinks.write(Heatmaps.overlay(e.photo().rgb(), shown, size), dir.resolve(stem + "_overlay.png"));
            PngSinks.write(Heatmaps.heat(shown, size), dir.resolve(stem + "_heat.png"));
            Npy.write(dir.resolve(stem + ".npy"), new long[] {r.height(), r.width()}, r.map());
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("class", r.classIndex());
            entry.put("label", label(labels, r.classIndex()));
            entry.put("method", r.method().cliName());
            entry.put("map", stem + ".npy");
            entry.put("map_shape", List.of(r.height(), r.width()));
            if (r.method().atLayer()) {
                Npy.write(dir.resolve(stem + "_upsampled.npy"), new long[] {size, size}, r.upsampled());
                entry.put("upsampled", stem + "_upsampled.npy");
            }
            entry.put("overlay", stem + "_overlay.png");
            entry.put("heat", stem + "_heat.png");
            entry.put("map_max", max(r.map()));
            if (max(r.map()) == 0 && min(r.map()) == 0) {
                entry.put("note", "the map is zero everywhere: no evidence for this class at this layer");
            }
            entry.putAll(r.details());
            entries.add(entry);
        }
        Map<String, Object> json = new LinkedHashMap<>(record);
        json.put("image", e.photo().file().toString());
        json.put("top_classes", topClasses(e.scores(), labels, attributor.headInfo().probabilities()));
        json.put("explanations", entries);
        byte[] bytes = Json.write(json).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve("explain.json"), o -> o.write(bytes));
    }

    static String label(List<String> labels, int k) {
        return labels != null && k < labels.size() ? labels.get(k) : "class " + k;
    }

    private static List<Object> topClasses(float[] scores, List<String> labels, boolean probabilities) {
        List<Object> out = new ArrayList<>();
        for (int k : top(scores, Math.min(5, scores.length))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", k);
            m.put("label", label(labels, k));
            m.put(probabilities ? "probability" : "logit", scores[k]);
            if (!probabilities) {
                m.put("probability", Attributor.softmax(scores, 0, scores.length, k));
            }
            out.add(m);
        }
        return out;
    }

    private static float max(float[] v) {
        float m = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    private static float min(float[] v) {
        float m = Float.POSITIVE_INFINITY;
        for (float x : v) {
            m = Math.min(m, x);
        }
        return m;
    }

    static String percent(double p) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * p);
    }
}
