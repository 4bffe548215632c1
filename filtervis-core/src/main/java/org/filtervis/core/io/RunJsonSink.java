package org.filtervis.core.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FilterResult;
import org.filtervis.api.ImageSink;
import org.filtervis.api.RunRecord;

/** Writes {@code run.json}: settings, versions, per-filter objectives and flags, timings. */
public final class RunJsonSink implements ImageSink {
    private final Path file;

    public RunJsonSink(Path file) {
        this.file = file;
    }

    @Override
    public void filterDone(FilterResult result) {}

    @Override
    public void runDone(RunRecord record) throws IOException {
        byte[] text = Json.write(toMap(record)).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(text));
    }

    public static Map<String, Object> toMap(RunRecord record) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", record.settings());
        List<FilterResult> filters = record.filters();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("filters", filters.size());
        summary.put("dead", filters.stream().filter(f -> f.status() == FilterResult.Status.DEAD).map(FilterResult::filter).toList());
        summary.put("nan", filters.stream().filter(f -> f.status() == FilterResult.Status.NAN).map(FilterResult::filter).toList());
        summary.put("zero_gradient", filters.stream().filter(f -> f.status() == FilterResult.Status.ZERO_GRADIENT).map(FilterResult::filter).toList());
        if (record.settings().getOrDefault("redirect_relu_steps", 0) instanceof Integer steps && steps > 0) {
            // Dead under the plain recipe: still dead, or brought to fire by the redirection.
            summary.put("rescued_by_redirect", filters.stream().filter(FilterResult::rescued).map(FilterResult::filter).toList());
            summary.put("dead_without_redirect", filters.stream().filter(f -> f.rescued() || f.status() == FilterResult.Status.DEAD)
                    .map(FilterResult::filter).toList());
        }
        root.put("summary", summary);
        root.put("timings", record.timings());
        root.put("filters", filters.stream().map(f -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("filter", f.filter());
            m.put("status", f.status().name().toLowerCase());
            if (f.badStep() >= 0) {
                m.put("bad_step", f.badStep());
            }
            float[] o = f.objectives();
            m.put("final_objective", o.length == 0 ? null : o[o.length - 1]);
            if (!Double.isNaN(f.cleanObjective())) {
                m.put("clean_objective", f.cleanObjective());
            }
            m.put("objectives", o);
            return m;
        }).toList());
        return root;
    }
}
