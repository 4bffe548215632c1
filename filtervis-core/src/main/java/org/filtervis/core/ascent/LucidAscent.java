package org.filtervis.core.ascent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.core.lucid.Adam;
import org.filtervis.core.lucid.ImagePipeline;
import org.filtervis.core.lucid.LucidRecipe;

/**
 * One batch of Lucid's recipe: each image's parameters (a spectrum or pixels) go through the
 * {@link ImagePipeline} (colour, the step's random transformations, the model's input range) to
 * the network; the backend's input gradient comes back through the pipeline's adjoints, and Adam
 * (or the Keras step) ascends. The image shown is the final parameters' colours, untransformed,
 * and its objective is measured once more as it is shown.
 */
final class LucidAscent {
    private LucidAscent() {}

    /**
     * Runs one batch; adds the time spent in Java on the images (parameterization, colour,
     * transformations, their adjoints, the optimizer) to {@code pipelineNanos[0]}.
     */
    static List<FilterResult> runBatch(Recipe recipe, GradientProvider gradients, String layer, List<Integer> chunk, IntConsumer stepped,
            long[] pipelineNanos) {
        LucidRecipe lucid = recipe.lucid();
        InputSpec spec = gradients.input();
        ImagePipeline pipe = new ImagePipeline(lucid, spec, lucid.size(), recipe.seed());
        int per = spec.elements();
        int np = pipe.parameters();
        int n = chunk.size();
        int[] filters = chunk.stream().mapToInt(Integer::intValue).toArray();
        long[] keys = ImageMath.imageKeys(filters);
        float[] params = new float[n * np];
        Adam[] adams = new Adam[n];
        for (int i = 0; i < n; i++) {
            pipe.init(params, i * np, keys[i]);
            adams[i] = lucid.adam() ? new Adam(np, recipe.lr()) : null;
        }
        float[] x = new float[n * per];
        float[] grads = new float[n * per];
        float[] dp = new float[n * np];
        float[] objectives = new float[n];
        BatchProgress progress = new BatchProgress(n, recipe.steps());
        GradientProvider redirected = recipe.redirectSteps() > 0 ? gradients.redirectedRelu().orElse(null) : null;
        ImagePipeline.Trace[] traces = new ImagePipeline.Trace[n];
        boolean[] plainDead = new boolean[n];
        if (redirected != null) {
            // What the plain recipe would do at the start: a filter at most 0 with a zero gradient leaves the parameters where they are.
            IntStream.range(0, n).parallel().forEach(i -> traces[i] = pipe.forward(params, i * np, keys[i], 0, x, i * per, traces[i]));
            gradients.compute(x, filters, objectives, grads);
            for (int i = 0; i < n; i++) {
                plainDead[i] = objectives[i] <= 0 && ImageMath.isZero(grads, i * per, per);
            }
        }
        for (int step = 0; step < recipe.steps(); step++) {
            long t0 = System.nanoTime();
            int s = step;
            // Images are independent and write their own slices: in parallel, the same bytes as one at a time.
            IntStream.range(0, n).parallel().forEach(i -> traces[i] = pipe.forward(params, i * np, keys[i], s, x, i * per, traces[i]));
            pipelineNanos[0] += System.nanoTime() - t0;
            (redirected != null && step < recipe.redirectSteps() ? redirected : gradients).compute(x, filters, objectives, grads);
            long t1 = System.nanoTime();
            IntStream.range(0, n).parallel().forEach(i -> {
                if (!progress.moves(i, s, objectives, grads, per)) {
                    return;
                }
                Arrays.fill(dp, i * np, (i + 1) * np, 0f);
                pipe.backward(traces[i], grads, i * per, params, i * np, dp, i * np);
                if (!Float.isFinite(objectives[i]) || !finite(dp, i * np, np)) {
                    progress.stop(i, s);
                } else if (adams[i] != null) {
                    adams[i].step(params, i * np, dp, i * np);
                } else {
                    ImageMath.step(params, dp, i * np, np, recipe.lr());
                }
            });
            pipelineNanos[0] += System.nanoTime() - t1;
            stepped.accept(step);
        }
        // The objective of each image as it is shown: no transformations, resized to the network's size.
        for (int i = 0; i < n; i++) {
            pipe.clean(params, i * np, x, i * per);
        }
        float[] clean = new float[n];
        gradients.compute(x, filters, clean, grads);
        List<FilterResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FilterResult.Status status = progress.status(i, gradients);
            out.add(new FilterResult(layer, filters[i], pipe.image(params, i * np), progress.history[i], status, progress.badStep[i],
                    plainDead[i] && status == FilterResult.Status.OK, clean[i]));
        }
        return out;
    }

    private static boolean finite(float[] v, int off, int n) {
        for (int i = off; i < off + n; i++) {
            if (!Float.isFinite(v[i])) {
                return false;
            }
        }
        return true;
    }
}
