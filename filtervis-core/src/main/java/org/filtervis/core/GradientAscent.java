package org.filtervis.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
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
        int batch = Math.max(1, Math.min(batchSize, gradients.maxBatch()));
        List<FilterResult> results = new ArrayList<>();
        long total = (long) filters.size() * recipe.steps();
        for (int start = 0; start < filters.size(); start += batch) {
            List<Integer> chunk = filters.subList(start, Math.min(filters.size(), start + batch));
            long before = (long) start * recipe.steps();
            IntConsumer stepped = step -> listener.stepDone(before + (long) (step + 1) * chunk.size(), total, recipe.steps());
            List<FilterResult> done = recipe.lucid() != null ? LucidAscent.runBatch(recipe, gradients, layer, chunk, stepped, pipelineNanos)
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
        float[][] history = new float[n][recipe.steps()];
        int[] badStep = new int[n];
        boolean[] zeroGradient = new boolean[n];
        Arrays.fill(badStep, -1);
        for (int i = 0; i < n; i++) {
            ImageMath.initialNoise(images, i * per, per, recipe.seed(), filters[i]);
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
                if (!moves(i, step, objectives, grads, per, history, badStep, zeroGradient)) {
                    continue;
                }
                // A non-finite objective or gradient stops the image where it was.
                if (!Float.isFinite(objectives[i]) || !ImageMath.step(images, grads, i * per, per, recipe.lr())) {
                    badStep[i] = step;
                }
            }
            stepped.accept(step);
        }
        List<FilterResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FilterResult.Status status = status(gradients, zeroGradient[i], badStep[i], history[i]);
            out.add(new FilterResult(layer, filters[i], ImageMath.deprocess(images, i * per, spec), history[i], status, badStep[i],
                    plainDead[i] && status == FilterResult.Status.OK));
        }
        return out;
    }

    /**
     * Records image i's objective at {@code step}; whether it takes the step: not when it stopped
     * before, nor when it fires with an all-zero gradient, a backend failure (or a constant
     * filter), never an image to show: it stops there and is reported.
     */
    static boolean moves(int i, int step, float[] objectives, float[] grads, int per, float[][] history, int[] badStep, boolean[] zeroGradient) {
        history[i][step] = objectives[i];
        if (badStep[i] >= 0) {
            return false;
        }
        if (Float.isFinite(objectives[i]) && objectives[i] > 0 && ImageMath.isZero(grads, i * per, per)) {
            badStep[i] = step;
            zeroGradient[i] = true;
            return false;
        }
        return true;
    }

    /** How one filter's run ended, from what the steps saw. */
    static FilterResult.Status status(GradientProvider gradients, boolean zeroGradient, int badStep, float[] history) {
        if (zeroGradient) {
            return FilterResult.Status.ZERO_GRADIENT;
        }
        if (badStep >= 0) {
            return FilterResult.Status.NAN;
        }
        // "Never above 0" means "never fired" for a unit's activation; other objectives are never called dead.
        boolean judged = !(gradients instanceof ObjectiveGradients o) || o.positiveMeansFiring();
        boolean fired = !judged;
        for (float v : history) {
            fired |= v > 0;
        }
        return fired ? FilterResult.Status.OK : FilterResult.Status.DEAD;
    }
}
