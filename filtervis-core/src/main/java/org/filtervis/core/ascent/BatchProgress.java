package org.filtervis.core.ascent;

import org.filtervis.core.objective.ObjectiveGradients;
import java.util.Arrays;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;

/**
 * What both drivers (the Keras recipe's and Lucid's) record of a batch as it climbs: each image's
 * objective before every step, the step it stopped at, and whether it stopped because the backend
 * gave a firing filter an all-zero gradient; from these, how each filter's run ended.
 */
final class BatchProgress {
    final float[][] history;
    final int[] badStep;
    final boolean[] zeroGradient;

    BatchProgress(int images, int steps) {
        history = new float[images][steps];
        badStep = new int[images];
        zeroGradient = new boolean[images];
        Arrays.fill(badStep, -1);
    }

    /**
     * Records image i's objective at {@code step}; whether it takes the step: not when it stopped
     * before, nor when it fires with an all-zero gradient, a backend failure (or a constant
     * filter), never an image to show: it stops there and is reported.
     */
    boolean moves(int i, int step, float[] objectives, float[] grads, int per) {
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

    /** Image i stops at {@code step}: its objective or gradient is not finite. */
    void stop(int i, int step) {
        badStep[i] = step;
    }

    /** How image i's run ended. */
    FilterResult.Status status(int i, GradientProvider gradients) {
        if (zeroGradient[i]) {
            return FilterResult.Status.ZERO_GRADIENT;
        }
        if (badStep[i] >= 0) {
            return FilterResult.Status.NAN;
        }
        // "Never above 0" means "never fired" for a unit's activation; other objectives are never called dead.
        boolean judged = !(gradients instanceof ObjectiveGradients o) || o.positiveMeansFiring();
        boolean fired = !judged;
        for (float v : history[i]) {
            fired |= v > 0;
        }
        return fired ? FilterResult.Status.OK : FilterResult.Status.DEAD;
    }
}
