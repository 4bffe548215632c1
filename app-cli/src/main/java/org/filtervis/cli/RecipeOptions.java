package org.filtervis.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Objective;
import org.filtervis.core.Limits;
import org.filtervis.core.objective.ObjectiveParser;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.core.lucid.LucidRecipe;
import org.filtervis.core.lucid.MacoRecipe;
import org.filtervis.core.lucid.Transforms;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What to maximize and how: the options {@code visualize} and {@code compare} share, read and checked one way. */
final class RecipeOptions {
    @Option(names = "--layer", paramLabel = "NAME", description = Help.LAYER)
    String layer;

    @Option(names = "--objective", paramLabel = "EXPR", description = Help.OBJECTIVE)
    String objective;

    @Option(names = "--filters", paramLabel = "LIST", description = Help.FILTERS)
    String filters;

    @Option(names = "--recipe", paramLabel = "keras|lucid|maco", description = "keras: pixels, 30 steps of length 10"
            + " along the normalized gradient, no transformations (the default, but lucid for the atlas); lucid: Lucid's recipe, an FFT image with decorrelated colour under"
            + " random transformations, Adam at 0.05 for 512 steps, 128 px; maco: MaCo, the phase of a 512 px spectrum under a fixed"
            + " natural-image magnitude, 32 random crops per step, Nadam at 1.0 for 256 steps, with a transparency map.")
    String recipeName;

    @Option(names = "--crops", paramLabel = "N", description = "maco: crops per step, each one image of the batch (default 32, as Xplique;"
            + " fewer is faster).")
    Integer crops;

    @Option(names = "--spectrum", paramLabel = "FILE", description = "maco: the magnitude spectrum (filtervis spectrum's .npy; default: the"
            + " one shipped, of photos, RGB models only).")
    java.nio.file.Path spectrum;

    @Option(names = "--border", paramLabel = "N", description = "With --layer: positions the channel mean leaves out on every side"
            + " (default: keras 2, the Keras example's rule, as channel_interior(L, f); lucid and maco 0, the mean over every"
            + " position, as channel(L, f)).")
    Integer border;

    @Option(names = "--steps", description = "Gradient steps (default: 30; lucid 512; maco 256).")
    Integer steps;

    @Option(names = "--lr", description = "Step length: in L2 norm for the Keras step (default 10), Adam's learning rate for lucid (0.05),"
            + " Nadam's for maco (1.0).")
    Float lr;

    @Option(names = "--param", paramLabel = "fft|pixel", description = "lucid: the image as a scaled spectrum (default) or as pixels.")
    String param;

    @Option(names = "--decorrelate", negatable = true, description = "lucid: Lucid's colour decorrelation (default on; --no-decorrelate).")
    Boolean decorrelate;

    @Option(names = "--transforms", paramLabel = "LIST", description = "lucid: standard (default), none, or e.g."
            + " pad(12),jitter(8),scale(0.9:1.1),rotate(-10:10).")
    String transforms;

    @Option(names = "--optimizer", paramLabel = "adam|normalized-sgd", description = "lucid: Adam (default) or the Keras step.")
    String optimizer;

    @Option(names = "--resample", paramLabel = "composite|sequential", description = "lucid: the transformations composed into one"
            + " bilinear resampling (default: sharper, and it reaches higher objectives) or resampled in turn as Lucent does (for exact"
            + " comparisons with it).")
    String resample;

    @Mixin
    InputRangeOptions input = new InputRangeOptions();

    @Option(names = "--seed", defaultValue = "0", description = Help.SEED)
    long seed;

    /** --redirect-relu given alone: the recipe's own number of steps (a value no one types). */
    static final String RECIPE_REDIRECT = "-2147483648";

    @Option(names = "--redirect-relu", paramLabel = "STEPS", arity = "0..1", fallbackValue = RECIPE_REDIRECT,
            description = "Redirect ReLU gradients for the first STEPS steps (Lucid's fix for filters that do not fire on noise;"
                    + " alone: 10 steps with keras, 16 with lucid as Lucid's recipe does; default: off, as the Keras example and Lucent;"
                    + " on for the InceptionV3 demo with keras). run.json lists the filters it rescued.")
    Integer redirect;

    @Option(names = "--batch", defaultValue = "16", description = Help.BATCH)
    int batch;

    /** The recipe when --recipe is not given: keras, the atlas's lucid. */
    String defaultRecipe = "keras";

    private String recipeName() {
        return recipeName != null ? recipeName : defaultRecipe;
    }

    /** What the run maximizes, checked: the parsed objective, or null for the channel of {@link #layerName}. */
    Objective objective(Object model) {
        if (objective != null && layer != null) {
            throw FiltervisException.usage("give --layer or --objective, not both (--layer L is the channel objective of each filter of L)");
        }
        if (objective != null && border != null) {
            throw FiltervisException.usage("--border applies to --layer; in --objective write channel(L, c) for every position or"
                    + " channel_interior(L, c) for the Keras example's 2-position border");
        }
        Objective parsed = objective != null ? ObjectiveParser.parse(objective) : null;
        if (layer == null && parsed == null && model != null) {
            throw FiltervisException.usage("--layer is required with --model; list the layers with: filtervis layers --model " + model);
        }
        return parsed;
    }

    /** The layer (or the objective as written) that names the run. */
    String layerName(ModelFiles.Demo demo) {
        return objective != null ? objective.strip() : layer != null ? layer : demo.layer();
    }

    /** The redirected-ReLU steps: as given, else on for the pretrained demo (it leaves many mixed4 filters dark on noise). */
    int redirectSteps(Object model, ModelFiles.Demo demo) {
        return redirect != null ? askedRedirectSteps() : model == null && !lucid() ? demo.redirectSteps() : 0;
    }

    /**
     * The atlas's redirected-ReLU steps: as given, else Lucid's 16 for lucid (so no filter stays a
     * dead grey tile for want of a gradient on noise), else as {@link #redirectSteps}.
     */
    int atlasRedirectSteps(Object model, ModelFiles.Demo demo) {
        return redirect == null && lucid() && !maco() ? LucidRecipe.REDIRECT_STEPS : redirectSteps(model, demo);
    }

    /** The redirected-ReLU steps asked for with --redirect-relu (alone: the recipe's own number), or 0. */
    int askedRedirectSteps() {
        return redirect == null ? 0 : redirect != Integer.parseInt(RECIPE_REDIRECT) ? redirect : lucid() ? LucidRecipe.REDIRECT_STEPS : 10;
    }

    /** Whether the recipe takes the model's input range (lucid and maco). */
    boolean lucid() {
        return switch (recipeName()) {
            case "keras" -> false;
            case "lucid", "maco" -> true;
            default -> throw FiltervisException.usage("--recipe " + recipeName + " is not keras, lucid or maco");
        };
    }

    private boolean maco() {
        return lucid() && recipeName().equals("maco");
    }

    /**
     * The recipe, within the limits, and the batch checked too. For lucid: {@code size} is the
     * optimized image's side (--size, or 128), {@code declared} the model's own input range, if it
     * records one.
     */
    Recipe recipe(int redirectSteps, Integer size, Optional<InputRange> declared) {
        Limits.batch(batch);
        if (!maco()) {
            refuse("--recipe maco", new Object[][] {{"--crops", crops}, {"--spectrum", spectrum}});
        }
        if (maco()) {
            refuse("--recipe keras or lucid", new Object[][] {{"--param", param}, {"--decorrelate", decorrelate}, {"--transforms", transforms},
                {"--optimizer", optimizer}, {"--resample", resample}, {"--redirect-relu", redirect}});
            int n = crops != null ? crops : MacoRecipe.CROPS;
            if (n < 1 || n > 1024) {
                throw FiltervisException.usage("--crops " + n + " is not 1 to 1024");
            }
            if (spectrum != null && !java.nio.file.Files.isRegularFile(spectrum)) {
                throw FiltervisException.usage("--spectrum " + spectrum + " is not a file; make one with filtervis spectrum");
            }
            MacoRecipe maco = new MacoRecipe(n, size != null ? Limits.size(size) : MacoRecipe.SIZE, MacoRecipe.NOISE, range(declared),
                    spectrum != null ? spectrum.toAbsolutePath().toString() : null);
            return Limits.recipe(withBorder(Recipe.maco(steps != null ? steps : MacoRecipe.STEPS, lr != null ? lr : MacoRecipe.LR, seed, maco)));
        }
        if (!lucid()) {
            List<String> given = new ArrayList<>();
            for (Object[] o : new Object[][] {{"--param", param}, {"--decorrelate", decorrelate}, {"--transforms", transforms},
                {"--optimizer", optimizer}, {"--resample", resample}, {"--input-range", input.inputRange}, {"--mean", input.mean}, {"--std", input.std}, {"--preprocess", input.preprocess}}) {
                if (o[1] != null) {
                    given.add((String) o[0]);
                }
            }
            if (!given.isEmpty()) {
                throw FiltervisException.usage(String.join(", ", given) + " belong to the Lucid recipe; add --recipe lucid");
            }
            return Limits.recipe(withBorder(new Recipe(steps != null ? steps : 30, lr != null ? lr : 10f, seed, redirectSteps)));
        }
        boolean fft = switch (param == null ? "fft" : param) {
            case "fft" -> true;
            case "pixel" -> false;
            default -> throw FiltervisException.usage("--param " + param + " is not fft or pixel");
        };
        boolean adam = switch (optimizer == null ? "adam" : optimizer) {
            case "adam" -> true;
            case "normalized-sgd" -> false;
            default -> throw FiltervisException.usage("--optimizer " + optimizer + " is not adam or normalized-sgd");
        };
        boolean sequential = switch (resample == null ? "composite" : resample) {
            case "composite" -> false;
            case "sequential" -> true;
            default -> throw FiltervisException.usage("--resample " + resample + " is not composite or sequential");
        };
        LucidRecipe lucid = new LucidRecipe(fft, decorrelate == null || decorrelate,
                Transforms.parse(transforms == null ? "standard" : transforms).sequential(sequential), adam, range(declared), size != null ? Limits.size(size) : LucidRecipe.SIZE);
        return Limits.recipe(withBorder(new Recipe(steps != null ? steps : LucidRecipe.STEPS, lr != null ? lr : LucidRecipe.LR, seed, redirectSteps, lucid)));
    }

    /** The recipe with --border where given (its own otherwise: keras 2, lucid 0). */
    private Recipe withBorder(Recipe r) {
        return border == null ? r : r.withBorder(border);
    }

    /** Refuses options given that belong to other recipes. */
    private static void refuse(String belongs, Object[][] options) {
        List<String> given = new ArrayList<>();
        for (Object[] o : options) {
            if (o[1] != null) {
                given.add((String) o[0]);
            }
        }
        if (!given.isEmpty()) {
            throw FiltervisException.usage(String.join(", ", given) + (given.size() == 1 ? " belongs" : " belong") + " to " + belongs);
        }
    }

    /** --preprocess, or --input-range with --mean/--std, or the model's own, or 0:1. */
    private InputRange range(Optional<InputRange> declared) {
        return InputRange.choose(input.preprocess, input.inputRange, input.mean, input.std, declared);
    }
}
