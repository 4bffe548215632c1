package org.filtervis.core.ascent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.ImageSink;

/**
 * The one driver every backend serves: runs the recipe on batches of filters and hands each
 * finished filter to the sinks at once. Each image's gradient is normalised by its own norm, so
 * a batched run gives the images of one-at-a-time runs (up to float rounding).
 */
public final class GradientAscent {
    /** Told about progress; called on the driver's thread. */
    public interface Listener {
        default void filterDone(FilterResult result, int done, int total) {}

        /**
         * After every step of a batch: {@code done} image-steps of {@code total} (filters times
         * {@code steps}, the recipe's steps per filter), so progress moves during a batch, not
         * only when it ends.
         */
        default void stepDone(long done, long total, int steps) {}
    }

    private final Recipe recipe;
    private final int batchSize;
    /** Time spent in Java on Lucid's image pipeline and optimizer, over all batches. */
    private final long[] pipelineNanos = new long[1];

    public GradientAscent(Recipe recipe, int batchSize) {
        this.recipe = recipe;
        this.batchSize = batchSize;
    }

    /** Seconds spent in Java on Lucid's image pipeline and optimizer so far (0 for the Keras recipe). */
    public double pipelineSeconds() {
        return pipelineNanos[0] / 1e9;
    }

    /** Visualizes {@code filters} of the provider's layer; returns the results in filter order. */
    public List<FilterResult> run(GradientProvider gradients, String layer, List<Integer> filters, List<ImageSink> sinks, Listener listener) {
        // MaCo optimizes one filter at a time; its batches are one filter's crops.
        int batch = recipe.maco() != null ? 1 : Math.max(1, Math.min(batchSize, gradients.maxBatch()));
        List<FilterResult> results = new ArrayList<>();
        long total = (long) filters.size() * recipe.steps();
        for (int start = 0; start < filters.size(); start += batch) {
            List<Integer> chunk = filters.subList(start, Math.min(filters.size(), start + batch));
            long before = (long) start * recipe.steps();
            IntConsumer stepped = step -> listener.stepDone(before + (long) (step + 1) * chunk.size(), total, recipe.steps());
            List<FilterResult> done = recipe.maco() != null
                    ? List.of(MacoAscent.run(recipe, gradients, layer, chunk.get(0), batchSize, stepped, pipelineNanos))
                    : recipe.lucid() != null ? LucidAscent.runBatch(recipe, gradients, layer, chunk, stepped, pipelineNanos)
                    : runBatch(gradients, layer, chunk, stepped);
            for (FilterResult r : done) {
                results.add(r);
                for (ImageSink sink : sinks) {
                    try {
                        sink.filterDone(r);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                listener.filterDone(r, results.size(), filters.size());
            }
        }
        return results;
    }

    private List<FilterResult> runBatch(GradientProvider gradients, String layer, List<Integer> chunk, IntConsumer stepped) {
        InputSpec spec = gradients.input();
        int per = spec.elements();
        int n = chunk.size();
        int[] filters = chunk.stream().mapToInt(Integer::intValue).toArray();
        float[] images = new float[n * per];
        float[] grads = new float[n * per];
        float[] objectives = new float[n];
        BatchProgress progress = new BatchProgress(n, recipe.steps());
        long[] keys = ImageMath.imageKeys(filters);
        for (int i = 0; i < n; i++) {
            ImageMath.initialNoise(images, i * per, per, recipe.seed(), keys[i]);
        }
        GradientProvider redirected = recipe.redirectSteps() > 0 ? gradients.redirectedRelu().orElse(null) : null;
        boolean[] plainDead = new boolean[n];
        if (redirected != null) {
            // What the plain recipe would do: with a zero gradient the image never moves.
            gradients.compute(images, filters, objectives, grads);
            for (int i = 0; i < n; i++) {
                plainDead[i] = objectives[i] <= 0 && ImageMath.isZero(grads, i * per, per);
            }
        }
        for (int step = 0; step < recipe.steps(); step++) {
            (redirected != null && step < recipe.redirectSteps() ? redirected : gradients).compute(images, filters, objectives, grads);
            for (int i = 0; i < n; i++) {
                if (!progress.moves(i, step, objectives, grads, per)) {
                    continue;
                }
                // A non-finite objective or gradient stops the image where it was.
                if (!Float.isFinite(objectives[i]) || !ImageMath.step(images, grads, i * per, per, recipe.lr())) {
                    progress.stop(i, step);
                }
            }
            stepped.accept(step);
        }
        List<FilterResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FilterResult.Status status = progress.status(i, gradients);
            out.add(new FilterResult(layer, filters[i], ImageMath.deprocess(images, i * per, spec), progress.history[i], status, progress.badStep[i],
                    plainDead[i] && status == FilterResult.Status.OK));
        }
        return out;
    }
}
