package org.filtervis.core.atlas;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.Model;
import org.filtervis.api.RgbImage;
import org.filtervis.core.ascent.GradientAscent;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.RunEngine;
import org.filtervis.core.objective.ObjectiveGradients;

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

    /** The task's filters whose tiles are not stored whole in the channel view: what a run renders, on any engine. */
    public static List<Integer> missing(Task t, TileStore store) {
        return missing(t, store, List.of(AtlasView.CHANNEL));
    }

    /** The task's filters with a tile missing in any of {@code views}. */
    public static List<Integer> missing(Task t, TileStore store, List<AtlasView> views) {
        List<Integer> missing = new ArrayList<>();
        for (int f : t.filters()) {
            if (views.stream().anyMatch(v -> !store.view(v).has(t.layer().name(), f))) {
                missing.add(f);
            }
        }
        return missing;
    }

    /** Runs the tasks in this process (the local engine), with the channel view only. */
    public static Summary runLocal(Model model, List<Task> tasks, TileStore store, Recipe recipe, int size, int batch, Progress progress)
            throws IOException {
        return runLocal(model, tasks, store, recipe, size, batch, List.of(AtlasView.CHANNEL), progress);
    }

    /**
     * Runs the tasks in this process (the local engine), one layer's gradients open at a time, each
     * view's missing tiles rendered in turn. Counts are in filters: one is done when all its views are.
     */
    public static Summary runLocal(Model model, List<Task> tasks, TileStore store, Recipe recipe, int size, int batch, List<AtlasView> views,
            Progress progress) throws IOException {
        int total = tasks.stream().mapToInt(t -> t.filters().size()).sum();
        int[] done = {0};
        int[] rendered = {0};
        int stored = 0;
        long t0 = System.nanoTime();
        Map<AtlasView, GradientProvider> open = new java.util.EnumMap<>(AtlasView.class);
        String openLayer = null;
        try {
            for (Task t : tasks) {
                List<Integer> missing = missing(t, store, views);
                stored += t.filters().size() - missing.size();
                if (missing.isEmpty()) {
                    done[0] += t.filters().size();
                    progress.filtersDone(done[0], total, rendered[0], (System.nanoTime() - t0) / 1e9);
                    continue;
                }
                String layer = t.layer().name();
                if (!layer.equals(openLayer)) {
                    closeAll(open);
                    openLayer = layer;
                }
                for (AtlasView v : views) {
                    TileStore tiles = store.view(v);
                    // The task's whole chunk, as a fresh run batches it (so a resumed tile is the same bytes); diverse images batch per filter.
                    List<Integer> todo = t.filters().stream().filter(f -> !tiles.has(layer, f)).toList();
                    if (todo.isEmpty()) {
                        continue;
                    }
                    GradientProvider g = open.get(v);
                    if (g == null) {
                        g = v == AtlasView.CHANNEL ? model.gradients(layer, size, size, recipe.border())
                                : ObjectiveGradients.open(model, v.objective(layer, recipe.border()), size, size);
                        open.put(v, g);
                    }
                    render(g, v, layer, v == AtlasView.DIVERSITY ? todo : t.filters(), todo, tiles, recipe, batch);
                }
                rendered[0] += missing.size();
                done[0] += t.filters().size();
                progress.filtersDone(done[0], total, rendered[0], (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            closeAll(open);
        }
        return new Summary(total, rendered[0], stored, (System.nanoTime() - t0) / 1e9);
    }

    /** Renders one view of {@code filters} and stores the tiles of those in {@code store}. */
    private static void render(GradientProvider g, AtlasView v, String layer, List<Integer> filters, List<Integer> write, TileStore tiles, Recipe recipe,
            int batch) throws IOException {
        if (v == AtlasView.DIVERSITY) {
            // One batch per filter: its diverse images, from different noise, optimized together.
            for (int f : filters) {
                List<FilterResult> images = RunEngine.run(g, layer, java.util.Collections.nCopies(v.images(), f), recipe, v.images(), Map.of(), 0, List.of(),
                        new GradientAscent.Listener() {}).filters();
                tiles.write(side(images));
            }
            return;
        }
        ImageSink sink = new ImageSink() {
            @Override
            public void filterDone(FilterResult r) throws IOException {
                if (write.contains(r.filter())) {
                    tiles.write(r);
                }
            }
        };
        RunEngine.run(g, layer, filters, recipe, batch, Map.of(), 0, List.of(sink), new GradientAscent.Listener() {});
    }

    /** One filter's images side by side as one tile; its status the worst of theirs, its curve the first image's. */
    static FilterResult side(List<FilterResult> images) {
        FilterResult first = images.get(0);
        int w = first.image().width();
        int h = first.image().height();
        byte[] rgb = new byte[images.size() * w * h * 3];
        FilterResult worst = first;
        for (int k = 0; k < images.size(); k++) {
            byte[] one = images.get(k).image().rgb();
            for (int y = 0; y < h; y++) {
                System.arraycopy(one, y * w * 3, rgb, (y * images.size() * w + k * w) * 3, w * 3);
            }
            if (images.get(k).status() != FilterResult.Status.OK && worst.status() == FilterResult.Status.OK) {
                worst = images.get(k);
            }
        }
        return new FilterResult(first.layer(), first.filter(), new RgbImage(images.size() * w, h, rgb), first.objectives(), worst.status(),
                worst.badStep(), false);
    }

    private static void closeAll(Map<AtlasView, GradientProvider> open) {
        for (GradientProvider g : open.values()) {
            g.close();
        }
        open.clear();
    }
}
