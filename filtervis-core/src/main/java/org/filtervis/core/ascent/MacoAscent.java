package org.filtervis.core.ascent;

import java.util.Arrays;
import java.util.function.IntConsumer;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.core.lucid.Maco;
import org.filtervis.core.lucid.MacoPipeline;
import org.filtervis.core.lucid.MacoRecipe;
import org.filtervis.core.lucid.Nadam;

/**
 * One filter of MaCo's recipe: every step, the phase's colours ({@link MacoPipeline}) give
 * {@code crops} random crops, which go through the backend in batches of at most
 * {@code batch}; the objective is their mean, its gradient comes back through the crops and the
 * parameterization to the phase, and Nadam ascends. The accumulated |gradient| of the colours is
 * the image's transparency. The objective shown is that of the whole buffer, resized.
 */
final class MacoAscent {
    private MacoAscent() {}

    static FilterResult run(Recipe recipe, GradientProvider gradients, String layer, int filter, int batch, IntConsumer stepped, long[] pipelineNanos) {
        MacoRecipe maco = recipe.maco();
        InputSpec spec = gradients.input();
        MacoPipeline pipe = new MacoPipeline(maco, spec, maco.magnitude(spec.channels()), recipe.steps(), recipe.seed());
        int per = spec.elements();
        int np = pipe.parameters();
        int atOnce = Math.max(1, Math.min(maco.crops(), Math.min(batch, gradients.maxBatch())));
        float[] phase = new float[np];
        pipe.init(phase, 0, filter);
        Nadam nadam = new Nadam(np, recipe.lr());
        float[] x = new float[atOnce * per];
        float[] grads = new float[atOnce * per];
        float[] objectives = new float[atOnce];
        float[] dRgb = new float[pipe.pixels()];
        float[] transparency = new float[pipe.pixels()];
        float[] dp = new float[np];
        float[][] history = new float[1][recipe.steps()];
        int badStep = -1;
        boolean zeroGradient = false;
        Maco.Trace trace = null;
        MacoPipeline.Crops crops = null;
        for (int step = 0; step < recipe.steps() && badStep < 0; step++) {
            long t0 = System.nanoTime();
            trace = pipe.colours(phase, 0, trace);
            Arrays.fill(dRgb, 0f);
            pipelineNanos[0] += System.nanoTime() - t0;
            double objective = 0;
            for (int first = 0; first < maco.crops(); first += atOnce) {
                int count = Math.min(atOnce, maco.crops() - first);
                long tf = System.nanoTime();
                crops = pipe.forward(trace, filter, step, crops, first, count, x, 0);
                pipelineNanos[0] += System.nanoTime() - tf;
                int[] filters = new int[count];
                Arrays.fill(filters, filter);
                float[] xs = count == atOnce ? x : Arrays.copyOf(x, count * per);
                float[] gs = count == atOnce ? grads : new float[count * per];
                gradients.compute(xs, filters, objectives, gs);
                long tb = System.nanoTime();
                for (int k = 0; k < count; k++) {
                    objective += objectives[k] / maco.crops();
                }
                pipe.backward(crops, first, count, gs, 0, dRgb);
                pipelineNanos[0] += System.nanoTime() - tb;
            }
            long t1 = System.nanoTime();
            history[0][step] = (float) objective;
            pipe.phaseGradient(trace, dRgb, dp, 0);
            if (!Double.isFinite(objective) || !finite(dp)) {
                badStep = step;
            } else if (objective > 0 && ImageMath.isZero(dRgb, 0, dRgb.length)) {
                // A firing filter with an all-zero gradient: the backend lost it; never an image to show.
                badStep = step;
                zeroGradient = true;
            } else {
                for (int i = 0; i < dRgb.length; i++) {
                    transparency[i] += Math.abs(dRgb[i]);
                }
                nadam.step(phase, 0, dp, 0);
            }
            pipelineNanos[0] += System.nanoTime() - t1;
            stepped.accept(step);
        }
        trace = pipe.colours(phase, 0, trace);
        float[] clean = new float[1];
        float[] one = new float[per];
        pipe.clean(trace, one, 0);
        gradients.compute(one, new int[] {filter}, clean, new float[per]);
        // "Never above 0" means "never fired" for a unit's activation; other objectives are never called dead.
        boolean fired = gradients instanceof org.filtervis.core.objective.ObjectiveGradients o && !o.positiveMeansFiring();
        for (float v : history[0]) {
            fired |= v > 0;
        }
        FilterResult.Status status = zeroGradient ? FilterResult.Status.ZERO_GRADIENT : badStep >= 0 ? FilterResult.Status.NAN
                : fired ? FilterResult.Status.OK : FilterResult.Status.DEAD;
        return new FilterResult(layer, filter, pipe.image(trace), history[0], status, badStep, false, clean[0], pipe.transparency(transparency));
    }

    private static boolean finite(float[] v) {
        for (float f : v) {
            if (!Float.isFinite(f)) {
                return false;
            }
        }
        return true;
    }
}
