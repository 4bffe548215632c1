package org.filtervis.api;

import java.util.List;

/**
 * What the ascent maximizes, as a value: built from the activations of named tensors and the image
 * itself. With A the activation of one image at layer L (channels c, rows y, columns x) and x the
 * image. A channel argument that is {@code null} means the image's own filter (the {@code f} of
 * {@code --objective}). The host evaluates objectives (filtervis-core's {@code Objectives}); a
 * backend only computes activations and gradients ({@link Differentiator}).
 */
public sealed interface Objective {
    /** A term that reads the activation of one layer (the others read the image, or two layers). */
    sealed interface OfLayer extends Objective {
        /** The layer it reads. */
        String layer();
    }

    /**
     * Mean of A[c] over rows and columns, {@code border} positions left out on every side when
     * every side exceeds {@code 2 * border}: 0 is Lucid's mean over every position (written
     * {@code channel(L, c)}), 2 the Keras example's rule ({@code channel_interior(L, c)}).
     */
    record Channel(String layer, Integer channel, int border) implements OfLayer {
        public Channel {
            if (border < 0) {
                throw FiltervisException.usage("border " + border + " of channel(" + layer + ", ...) is negative; use 0 (every position) or more");
            }
        }

        /** As the objective language writes it. */
        public String describe() {
            String c = channel == null ? "f" : channel.toString();
            return border == 0 ? "channel(" + layer + ", " + c + ")"
                    : border == Model.KERAS_BORDER ? "channel_interior(" + layer + ", " + c + ")"
                    : "channel(" + layer + ", " + c + ") without " + border + " positions on every side";
        }
    }

    /** A[c, y, x]; y and x default ({@code null}) to H / 2 and W / 2. */
    record Neuron(String layer, Integer channel, Integer y, Integer x) implements OfLayer {}

    /** Mean over c, y, x of A^2 (DeepDream). */
    record DeepDream(String layer) implements OfLayer {}

    /** A[k] of a tensor without spatial axes (a class score, before softmax where the model has one). */
    record Logit(String layer, Integer k) implements OfLayer {}

    /** Mean over c, y, x of A[c, y, x] * v[c] (Lucid's direction); {@code v} has one value per channel. */
    record Direction(String layer, float[] v) implements OfLayer {}

    /**
     * Lucid's {@code direction} with {@code cossim_pow = power}: at each position, with d = sum over c
     * of A[c, y, x] * v[c] and cos = d / ((1e-4 + |A[:, y, x]|) (1e-4 + |v|)), the mean over y, x of
     * d * max(0.1, cos)^power. Power 0 is the plain dot product (which, unlike {@link Direction},
     * sums over channels rather than averaging).
     */
    record DirectionCosine(String layer, float[] v, double power) implements OfLayer {}

    /**
     * A batch term, Lucid's {@code channel_interpolate}: with w_i = i / (N - 1) (0 for a batch of
     * one), the sum over images i of (1 - w_i) mean(A_i[c1] at layer1) + w_i mean(A_i[c2] at layer2),
     * the means over every position (no border). Image 0 shows c1, the last image c2.
     */
    record ChannelInterpolate(String layer1, int channel1, String layer2, int channel2) implements Objective {}

    /**
     * A batch term, Lucid's {@code alignment}: minus the sum over d = 1..4 and i of
     * mean((A_i - A_{i+d})^2) / decay^d, which keeps neighbouring images of a batch alike (Lucid's
     * default decay is 2).
     */
    record Alignment(String layer, double decay) implements OfLayer {}

    /**
     * A batch term, Lucid's diversity: with G_i the Gram matrix of image i's activation (C x C,
     * over positions), normalized to unit Frobenius norm, the sum over pairs i != j of
     * sum(G_i * G_j), divided by N. Used with a negative weight to make a batch's images differ.
     */
    record Diversity(String layer) implements OfLayer {}

    /** Sum of |x| over the image. */
    record L1() implements Objective {}

    /** sqrt(sum of x^2) over the image. */
    record L2() implements Objective {}

    /** Total variation: sum of |x[y+1, x] - x[y, x]| + |x[y, x+1] - x[y, x]| over channels (TensorFlow's total_variation). */
    record TotalVariation() implements Objective {}

    /** A weighted sum of objectives, e.g. {@code channel(L, f) - 100 * l1()}. */
    record Sum(List<Weighted> terms) implements Objective {
        public Sum {
            terms = List.copyOf(terms);
        }
    }

    /** One term of a {@link Sum}. */
    record Weighted(double weight, Objective objective) {}
}
