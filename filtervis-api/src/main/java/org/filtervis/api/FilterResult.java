package org.filtervis.api;

/**
 * One finished filter.
 *
 * @param layer      the layer's name
 * @param filter     the channel index
 * @param image      the deprocessed visualization
 * @param objectives the objective before each step (one value per step)
 * @param status     whether the filter fired
 * @param badStep    for {@link Status#NAN}, the first step whose objective or gradient was not
 *                   finite; for {@link Status#ZERO_GRADIENT}, the first step whose gradient was
 *                   all zero; -1 otherwise
 * @param rescued    whether the plain recipe would have left it dead (objective at most 0 and
 *                   a zero gradient at the start, so the image never moves) and redirected
 *                   ReLU gradients made it fire
 * @param cleanObjective the objective of the final image as shown, without the random
 *                   transformations the steps saw (Lucid's recipe); NaN where not measured
 * @param transparency MaCo's transparency, one value in [0, 1] per pixel of {@code image} (row
 *                   by row): the accumulated |gradient| of the image, clipped at its 80th
 *                   percentile and divided by its largest value; null for the other recipes
 */
public record FilterResult(String layer, int filter, RgbImage image, float[] objectives, Status status, int badStep, boolean rescued,
        double cleanObjective, float[] transparency) {
    /** A result without transparency. */
    public FilterResult(String layer, int filter, RgbImage image, float[] objectives, Status status, int badStep, boolean rescued,
            double cleanObjective) {
        this(layer, filter, image, objectives, status, badStep, rescued, cleanObjective, null);
    }

    /** A result whose final image was not evaluated again (the Keras recipe: the last step's image is the image). */
    public FilterResult(String layer, int filter, RgbImage image, float[] objectives, Status status, int badStep, boolean rescued) {
        this(layer, filter, image, objectives, status, badStep, rescued, Double.NaN, null);
    }

    /** How a filter's run ended. */
    public enum Status {
        /** The objective rose above 0 at some step. */
        OK,
        /** The objective never rose above 0: the filter did not fire, the image is noise. */
        DEAD,
        /** The objective or gradient became NaN or infinite. */
        NAN,
        /**
         * The objective was positive and finite but the gradient exactly zero: the backend gave
         * no gradient where the objective depends on the input (or the filter is a constant
         * there). The image stops at that step and is not a visualization.
         */
        ZERO_GRADIENT
    }
}
