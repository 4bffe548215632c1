package org.filtervis.core.ascent;

/**
 * The gradient-ascent recipe of the Keras example "Visualizing what convnets learn" (see
 * shared/design/recipe.md): noise in [-0.125, 0.125), 30 steps of size 10 along the gradient
 * normalised per image, then a contrast stretch and a 25-pixel crop (at 180 px).
 *
 * @param steps number of gradient steps
 * @param lr    step length: each step moves the image by lr in L2 norm
 * @param seed  seed of the initial noise; filter f's noise depends only on (seed, f)
 * @param redirectSteps for this many first steps, ReLU gradients are redirected (Lucid's fix
 *              for filters that do not fire on noise); 0 keeps the Keras recipe exactly
 * @param border positions the channel objective leaves out on every side: the Keras example's 2,
 *              or 0 (Lucid's and Lucent's mean over every position)
 * @param lucid the parameterization, transformations and optimizer of Lucid's recipe, or null
 *              for the Keras recipe (pixels, no transformations, normalized steps)
 * @param maco  MaCo's recipe (phase only under a fixed magnitude, crops, Nadam), or null
 */
public record Recipe(int steps, float lr, long seed, int redirectSteps, int border, org.filtervis.core.lucid.LucidRecipe lucid,
        org.filtervis.core.lucid.MacoRecipe maco) implements java.io.Serializable {
    public Recipe {
        if (lucid != null && maco != null) {
            throw new IllegalArgumentException("a recipe is Lucid's or MaCo's, not both");
        }
    }

    /** Without MaCo. */
    public Recipe(int steps, float lr, long seed, int redirectSteps, int border, org.filtervis.core.lucid.LucidRecipe lucid) {
        this(steps, lr, seed, redirectSteps, border, lucid, null);
    }

    /** MaCo's recipe: the channel mean over every position, as Xplique's channel objective takes it. */
    public static Recipe maco(int steps, float lr, long seed, org.filtervis.core.lucid.MacoRecipe maco) {
        return new Recipe(steps, lr, seed, 0, 0, null, maco);
    }

    /** The recipe's name: keras, lucid or maco. */
    public String name() {
        return maco != null ? "maco" : lucid != null ? "lucid" : "keras";
    }

    /** The Keras recipe with these numbers. */
    public Recipe(int steps, float lr, long seed, int redirectSteps) {
        this(steps, lr, seed, redirectSteps, org.filtervis.api.Model.KERAS_BORDER, null);
    }

    /** With the recipe's own border: the Keras example's 2 without {@code lucid}, Lucid's 0 with it. */
    public Recipe(int steps, float lr, long seed, int redirectSteps, org.filtervis.core.lucid.LucidRecipe lucid) {
        this(steps, lr, seed, redirectSteps, lucid == null ? org.filtervis.api.Model.KERAS_BORDER : 0, lucid);
    }

    /** The same recipe with another border of the channel objective. */
    public Recipe withBorder(int border) {
        return new Recipe(steps, lr, seed, redirectSteps, border, lucid, maco);
    }

    public static final int KERAS_SIZE = 180;
    public static final int KERAS_CROP = 25;

    /** The same recipe with redirected ReLU for {@code steps} first steps. */
    public Recipe withRedirectSteps(int steps) {
        return new Recipe(this.steps, lr, seed, steps, border, lucid, maco);
    }

    public static Recipe keras() {
        return new Recipe(30, 10f, 0, 0);
    }

    /** Crop per side for an image side: 25 px at 180 px, in proportion for other sizes. */
    public static int crop(int side) {
        int crop = Math.round(side * (float) KERAS_CROP / KERAS_SIZE);
        return side - 2 * crop >= 1 ? crop : 0;
    }
}
