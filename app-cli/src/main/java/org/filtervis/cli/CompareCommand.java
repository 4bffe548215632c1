package org.filtervis.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Objective;
import org.filtervis.core.compare.CompareJob;
import org.filtervis.core.compare.Comparison;
import org.filtervis.core.Limits;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "compare", description = "Runs the same recipe from the same initial images on several backends and reports how far they"
        + " agree: writes compare.json, compare.png and report.html; exits non-zero when a pair disagrees.")
final class CompareCommand extends ModelCommand implements Callable<Integer> {
    @Option(names = "--backends", required = true, split = ",", paramLabel = "A,B,...", description = "Backends to compare, e.g. onnx,tf,djl.")
    List<String> backends;

    @Mixin
    RecipeOptions recipeOptions;

    @Option(names = "--tolerance-cosine", defaultValue = "0.9999", description = "Least step-0 gradient cosine (default: ${DEFAULT-VALUE}).")
    double toleranceCosine;

    @Option(names = "--tolerance-psnr", defaultValue = "40", description = "Least final-image PSNR in dB (default: ${DEFAULT-VALUE}).")
    double tolerancePsnr;

    @Override
    public Integer call() {
        Path out = output.folder("filtervis-compare");
        if (options.backend != null) {
            throw FiltervisException.usage("compare runs the backends of --backends; --backend belongs to the other commands");
        }
        Limits.threads(options.threads);
        if (options.size != null) {
            Limits.size(options.size);
        }
        Objective objective = recipeOptions.objective(options.model);
        Path modelFile = ModelFiles.resolve(options.model);
        // Backends are compared on the recipe as given: the demo's redirected ReLU (onnx only) applies only when asked for.
        Recipe recipe = recipeOptions.recipe(recipeOptions.askedRedirectSteps(), options.size,
                recipeOptions.lucid() ? ModelFiles.inputRange(modelFile) : Optional.empty());
        CompareJob job = new CompareJob(recipeOptions.layerName(ModelFiles.demo()), objective, recipeOptions.filters,
                recipe, options.size, backends, new Comparison.Tolerance(toleranceCosine, tolerancePsnr), out, ModelFiles.describe(options.model));
        for (String name : job.backends()) {
            if (!top.registry().providers().containsKey(name)) {
                throw FiltervisException.usage("unknown backend '" + name + "'; installed: " + String.join(", ",
                        new java.util.TreeSet<>(top.registry().providers().keySet())));
            }
        }
        BackendOptions backendOptions = options.backendOptions();
        CompareJob.Result r = job.run(name -> top.session(name, modelFile, backendOptions, recipe, recipeOptions.batch),
                note -> {
                    if (!output.quiet) {
                        top.err.println("filtervis: " + FlagWords.of(note));
                    }
                });
        Comparison.Pair worst = r.worst();
        String summary = String.format(Locale.ROOT, "worst: filter %d, %s/%s: step-0 gradient cosine %.6f, final image PSNR %.1f dB",
                worst.filter(), worst.a(), worst.b(), worst.cosine(), worst.psnr());
        if (r.agree()) {
            top.out.println("backends agree (" + summary + "); report: " + out.resolve("report.html"));
            return 0;
        }
        top.err.println("filtervis: backends disagree; " + summary + "; report: " + out.resolve("report.html"));
        return Filtervis.FAILED;
    }
}
