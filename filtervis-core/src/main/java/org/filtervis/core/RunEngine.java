package org.filtervis.core;

import org.filtervis.core.ascent.GradientAscent;
import org.filtervis.core.ascent.Recipe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.RunRecord;

/**
 * One run of the recipe, as every command and a Java program get it: sessions built before the
 * clock starts, the ascent in batches, images handed to the sinks as they finish (their writing
 * timed apart), the run record with settings and timings, and every sink's {@code runDone}.
 *
 * <p>Single-threaded: call it from one thread; the listener and sinks are called on that thread.
 */
public final class RunEngine {
    private RunEngine() {}

    /** What a run gives: the filters in order, and the record the sinks were handed. */
    public record Result(List<FilterResult> filters, RunRecord record) {
        /** Filters that fired with an all-zero gradient (see {@link FilterResult.Status#ZERO_GRADIENT}). */
        public List<Integer> withoutGradient() {
            return filters.stream().filter(r -> r.status() == FilterResult.Status.ZERO_GRADIENT).map(FilterResult::filter).toList();
        }

        public double filtersPerSecond() {
            return record.timings().get("filters_per_second");
        }
    }

    /**
     * Builds the sessions {@code filters} need (full batches and the remainder, redirected ReLU too),
     * so set-up is not timed as the first step. Checks that a batch fits in memory first.
     */
    public static void prepare(GradientProvider gradients, Recipe recipe, int batch, int filters) {
        if (recipe.maco() != null) {
            // MaCo batches one filter's crops.
            filters = recipe.maco().crops();
        }
        int full = Math.max(1, Math.min(Math.min(batch, gradients.maxBatch()), filters));
        Limits.images(full, gradients.input().elements());
        for (int images : new int[] {full, filters % full}) {
            gradients.prepare(images);
            if (recipe.redirectSteps() > 0) {
                gradients.redirectedRelu().ifPresent(r -> r.prepare(images));
            }
        }
    }

    /**
     * Runs {@code recipe} on {@code filters} of {@code layer}, {@code batch} filters at a time.
     *
     * @param settings       what the run record says about the run (model, backend, options...)
     * @param setupSeconds   time spent before this call (opening, preparing), for the record
     */
    public static Result run(GradientProvider gradients, String layer, List<Integer> filters, Recipe recipe, int batch,
            Map<String, Object> settings, double setupSeconds, List<ImageSink> sinks, GradientAscent.Listener listener) {
        long[] writing = {0};
        List<ImageSink> timed = sinks.stream().map(sink -> timed(sink, writing)).toList();
        long t0 = System.nanoTime();
        GradientAscent ascent = new GradientAscent(recipe, batch);
        List<FilterResult> results = ascent.run(gradients, layer, filters, timed, listener);
        double seconds = (System.nanoTime() - t0 - writing[0]) / 1e9;
        int perBatch = Math.max(1, Math.min(batch, gradients.maxBatch()));
        Map<String, Double> timings = new LinkedHashMap<>();
        timings.put("setup_seconds", setupSeconds);
        timings.put("ascent_seconds", seconds);
        timings.put("write_seconds", writing[0] / 1e9);
        timings.put("filters_per_second", results.size() / seconds);
        timings.put("seconds_per_step", seconds / (Math.ceil(results.size() / (double) (recipe.maco() != null ? 1 : perBatch)) * recipe.steps()));
        if (recipe.lucid() != null || recipe.maco() != null) {
            // Java's share of the ascent: parameterization, colour, transformations, adjoints, the optimizer.
            timings.put("image_pipeline_seconds", ascent.pipelineSeconds());
            timings.put("image_pipeline_share", ascent.pipelineSeconds() / seconds);
        }
        RunRecord record = new RunRecord(settings, new ArrayList<>(results), timings);
        for (ImageSink s : timed) {
            try {
                s.runDone(record);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new Result(results, record);
    }

    /** {@code sink}, adding the time its filterDone takes to {@code nanos[0]}. */
    private static ImageSink timed(ImageSink sink, long[] nanos) {
        return new ImageSink() {
            @Override
            public void filterDone(FilterResult result) throws IOException {
                long t = System.nanoTime();
                try {
                    sink.filterDone(result);
                } finally {
                    nanos[0] += System.nanoTime() - t;
                }
            }

            @Override
            public void runDone(RunRecord record) throws IOException {
                sink.runDone(record);
            }
        };
    }
}
