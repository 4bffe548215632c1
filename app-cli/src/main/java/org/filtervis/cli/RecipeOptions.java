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

    @Option(names = "--recipe", defaultValue = "keras", paramLabel = "keras|lucid", description = "keras: pixels, 30 steps of length 10 along the"
            + " normalized gradient, no transformations (default); lucid: Lucid's recipe, an FFT image with decorrelated colour under random"
            + " transformations, Adam at 0.05 for 512 steps, 128 px.")
    String recipeName;

    @Option(names = "--steps", description = "Gradient steps (default: 30; lucid 512).")
    Integer steps;

    @Option(names = "--lr", description = "Step length: in L2 norm for the Keras step (default 10), Adam's learning rate for lucid (0.05).")
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

    @Mixin
    InputRangeOptions input = new InputRangeOptions();

    @Option(names = "--seed", defaultValue = "0", description = Help.SEED)
    long seed;

    @Option(names = "--redirect-relu", paramLabel = "STEPS", arity = "0..1", fallbackValue = "10",
            description = "Redirect ReLU gradients for the first STEPS steps (Lucid's fix for filters that do not fire on noise;"
                    + " alone: 10 steps; default: off, the Keras recipe; on for the InceptionV3 demo).")
    Integer redirect;

    @Option(names = "--batch", defaultValue = "16", description = Help.BATCH)
    int batch;

    /** What the run maximizes, checked: the parsed objective, or null for the channel of {@link #layerName}. */
    Objective objective(Object model) {
        if (objective != null && layer != null) {
            throw FiltervisException.usage("give --layer or --objective, not both (--layer L means --objective \"channel(L, f)\")");
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
        return redirect != null ? redirect : model == null ? demo.redirectSteps() : 0;
    }

    boolean lucid() {
        return switch (recipeName) {
            case "keras" -> false;
            case "lucid" -> true;
            default -> throw FiltervisException.usage("--recipe " + recipeName + " is not keras or lucid");
        };
    }

    /**
     * The recipe, within the limits, and the batch checked too. For lucid: {@code size} is the
     * optimized image's side (--size, or 128), {@code declared} the model's own input range, if it
     * records one.
     */
    Recipe recipe(int redirectSteps, Integer size, Optional<InputRange> declared) {
        Limits.batch(batch);
        if (!lucid()) {
            List<String> given = new ArrayList<>();
            for (Object[] o : new Object[][] {{"--param", param}, {"--decorrelate", decorrelate}, {"--transforms", transforms},
                {"--optimizer", optimizer}, {"--input-range", input.inputRange}, {"--mean", input.mean}, {"--std", input.std}, {"--preprocess", input.preprocess}}) {
                if (o[1] != null) {
                    given.add((String) o[0]);
                }
            }
            if (!given.isEmpty()) {
                throw FiltervisException.usage(String.join(", ", given) + " belong to the Lucid recipe; add --recipe lucid");
            }
            return Limits.recipe(new Recipe(steps != null ? steps : 30, lr != null ? lr : 10f, seed, redirectSteps));
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
        LucidRecipe lucid = new LucidRecipe(fft, decorrelate == null || decorrelate, Transforms.parse(transforms == null ? "standard" : transforms),
                adam, range(declared), size != null ? Limits.size(size) : LucidRecipe.SIZE);
        return Limits.recipe(new Recipe(steps != null ? steps : LucidRecipe.STEPS, lr != null ? lr : LucidRecipe.LR, seed, redirectSteps, lucid));
    }

    /** --preprocess, or --input-range with --mean/--std, or the model's own, or 0:1. */
    private InputRange range(Optional<InputRange> declared) {
        return InputRange.choose(input.preprocess, input.inputRange, input.mean, input.std, declared);
    }
}
