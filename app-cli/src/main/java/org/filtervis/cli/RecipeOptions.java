package org.filtervis.cli;

import org.filtervis.api.FiltervisException;
import org.filtervis.api.Objective;
import org.filtervis.core.Limits;
import org.filtervis.core.ObjectiveParser;
import org.filtervis.core.Recipe;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Option;

/** What to maximize and how: the options {@code visualize} and {@code compare} share, read and checked one way. */
final class RecipeOptions {
    @Option(names = "--layer", paramLabel = "NAME", description = "Layer to visualize (required with --model; the demo's default is mixed4 of InceptionV3, or "
            + DemoNetwork.FIRST_LAYER + " of the generated network).")
    String layer;

    @Option(names = "--objective", paramLabel = "EXPR", description = "What to maximize instead of a layer's channel, e.g. "
            + "\"channel(mixed4, f) - 0.01 * tv()\" (see the README for every objective; f is each image's filter).")
    String objective;

    @Option(names = "--filters", paramLabel = "LIST", description = "Filters, e.g. 0-63 or 0,5,9 (default: visualize the first 64, 16 for the InceptionV3 demo; compare 0-7).")
    String filters;

    @Option(names = "--steps", defaultValue = "30", description = "Gradient steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--lr", defaultValue = "10", description = "Step length in L2 norm (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--redirect-relu", paramLabel = "STEPS", arity = "0..1", fallbackValue = "10",
            description = "Redirect ReLU gradients for the first STEPS steps (Lucid's fix for filters that do not fire on noise;"
                    + " alone: 10 steps; default: off, the Keras recipe; on for the InceptionV3 demo).")
    Integer redirect;

    @Option(names = "--batch", defaultValue = "16", description = "Filters per batch (default: ${DEFAULT-VALUE}).")
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

    /** The recipe, within the limits, and the batch checked too. */
    Recipe recipe(int redirectSteps) {
        Limits.batch(batch);
        return Limits.recipe(new Recipe(steps, lr, seed, redirectSteps));
    }
}
