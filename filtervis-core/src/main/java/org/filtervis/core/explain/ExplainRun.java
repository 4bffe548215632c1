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
import org.filtervis.api.FiltervisException;
import org.filtervis.core.AtomicFiles;
import org.filtervis.core.IoMessages;
import org.filtervis.core.Json;
import org.filtervis.core.Npy;
import org.filtervis.core.PngSinks;

/**
 * The explain job: every method for the chosen classes of every photo, computed first, then
 * written (one folder per photo and an index.html), so that a failure leaves nothing half-written.
 */
public final class ExplainRun {
    /** Which classes to explain: the given ones, or each photo's top N. */
    public record Classes(List<Integer> given, int top) {}

    /** Told before each map is computed. */
    public interface Listener {
        void computing(Photos.Photo photo, Method method, int classIndex, int done, int total);
    }

    /** One photo's results. */
    public record Explained(Photos.Photo photo, String folder, float[] scores, List<Integer> classes, List<Attributor.Result> results) {}

    private ExplainRun() {}

    /** Computes every map; writes nothing. */
    public static List<Explained> compute(Attributor attributor, List<Photos.Photo> photos, List<Method> methods, Classes classes,
            Attributor.Settings settings, Listener listener) {
        List<Explained> out = new ArrayList<>();
        Set<String> folders = new HashSet<>();
        int total = photos.size() * methods.size() * (classes.given().isEmpty() ? classes.top() : classes.given().size());
        int done = 0;
        for (Photos.Photo p : photos) {
            float[] scores = attributor.scores(p.rgb());
            List<Integer> chosen = classes.given().isEmpty() ? top(scores, classes.top()) : classes.given();
            List<Attributor.Result> results = new ArrayList<>();
            for (int k : chosen) {
                for (Method m : methods) {
                    listener.computing(p, m, k, done++, total);
                    results.add(attributor.explain(m, p.rgb(), k, settings));
                }
            }
            out.add(new Explained(p, folderName(p.file(), folders), scores, chosen, results));
        }
        return out;
    }

    static List<Integer> top(float[] scores, int n) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            idx.add(i);
        }
        idx.sort((a, b) -> Float.compare(scores[b], scores[a]) != 0 ? Float.compare(scores[b], scores[a]) : Integer.compare(a, b));
        return List.copyOf(idx.subList(0, Math.min(n, idx.size())));
    }

    /** The photo's name without its extension, made unique among the run's. */
    static String folderName(Path file, Set<String> taken) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = (dot > 0 ? name.substring(0, dot) : name).replaceAll("[^A-Za-z0-9._-]", "_");
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

    /** Writes every photo's folder (photo.png, overlays, heat maps, .npy maps, explain.json) and index.html. */
    public static void write(Path out, List<Explained> all, List<String> labels, Attributor attributor, Map<String, Object> record) {
        try {
            Files.createDirectories(out);
            for (Explained e : all) {
                Path dir = out.resolve(e.folder());
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
            byte[] html = ExplainPage.html(all, labels, record).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(out.resolve("index.html"), o -> o.write(html));
        } catch (IOException ex) {
            throw FiltervisException.failure("cannot write to " + out + " (" + IoMessages.describe(ex) + "); choose a writable folder with --out", ex);
        }
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
