package org.filtervis.core.atlas;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.Model;
import org.filtervis.core.ascent.GradientAscent;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.RunEngine;

/**
 * The atlas job: every chosen filter of every chosen layer, as tasks of (layer, chunk of
 * filters). A task whose tiles are all stored is skipped; one with any missing renders its whole
 * chunk (the same batch a fresh run renders, so the tiles are the same bytes) and stores the
 * missing tiles as each finishes: an interrupted run loses at most the batch in flight.
 */
public final class Atlas {
    /** A layer of the atlas: its name, output shape and channel count. */
    public record Layer(String name, String opType, List<Long> shape, int channels) implements java.io.Serializable {}

    /** One unit of work: a chunk of one layer's filters. */
    public record Task(Layer layer, List<Integer> filters) implements java.io.Serializable {
        public Task {
            filters = List.copyOf(filters);
        }
    }

    /** Told as filters finish, across the whole atlas. */
    public interface Progress {
        void filtersDone(int done, int total, int rendered, double seconds);
    }

    /** What a run did. */
    public record Summary(int total, int rendered, int alreadyStored, double seconds) {}

    private Atlas() {}

    /** The tasks: each layer's filters in chunks of {@code chunk}. */
    public static List<Task> tasks(List<Layer> layers, Map<String, List<Integer>> filters, int chunk) {
        List<Task> tasks = new ArrayList<>();
        for (Layer l : layers) {
            List<Integer> all = filters.get(l.name());
            for (int s = 0; s < all.size(); s += chunk) {
                tasks.add(new Task(l, List.copyOf(all.subList(s, Math.min(all.size(), s + chunk)))));
            }
        }
        return tasks;
    }

    /** The task's filters whose tiles are not stored whole: what a run renders, on any engine. */
    public static List<Integer> missing(Task t, TileStore store) {
        List<Integer> missing = new ArrayList<>();
        for (int f : t.filters()) {
            if (!store.has(t.layer().name(), f)) {
                missing.add(f);
            }
        }
        return missing;
    }

    /** Runs the tasks in this process (the local engine), one layer's gradients open at a time. */
    public static Summary runLocal(Model model, List<Task> tasks, TileStore store, Recipe recipe, int size, int batch, Progress progress)
            throws IOException {
        int total = tasks.stream().mapToInt(t -> t.filters().size()).sum();
        int[] done = {0};
        int[] rendered = {0};
        int stored = 0;
        long t0 = System.nanoTime();
        GradientProvider open = null;
        String openLayer = null;
        try {
            for (Task t : tasks) {
                List<Integer> missing = missing(t, store);
                if (missing.isEmpty()) {
                    stored += t.filters().size();
                    done[0] += t.filters().size();
                    progress.filtersDone(done[0], total, rendered[0], (System.nanoTime() - t0) / 1e9);
                    continue;
                }
                if (!t.layer().name().equals(openLayer)) {
                    if (open != null) {
                        open.close();
                    }
                    open = null;
                    open = model.gradients(t.layer().name(), size, size, recipe.border());
                    openLayer = t.layer().name();
                }
                stored += t.filters().size() - missing.size();
                ImageSink sink = new ImageSink() {
                    @Override
                    public void filterDone(FilterResult r) throws IOException {
                        if (missing.contains(r.filter())) {
                            store.write(r);
                            rendered[0]++;
                        }
                        done[0]++;
                        progress.filtersDone(done[0], total, rendered[0], (System.nanoTime() - t0) / 1e9);
                    }
                };
                RunEngine.run(open, t.layer().name(), t.filters(), recipe, batch, Map.of(), 0, List.of(sink), new GradientAscent.Listener() {});
            }
        } finally {
            if (open != null) {
                open.close();
            }
        }
        return new Summary(total, rendered[0], stored, (System.nanoTime() - t0) / 1e9);
    }
}
