package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.core.CompareReport;
import org.filtervis.core.Comparison;
import org.filtervis.core.GradientAscent;
import org.filtervis.core.ImageMath;
import org.filtervis.api.Objective;
import org.filtervis.core.Recipe;
import org.filtervis.core.RunEngine;
import org.filtervis.core.Session;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "compare", description = "Runs the same recipe from the same initial images on several backends and reports how far they"
        + " agree: writes compare.json, compare.png and report.html; exits non-zero when a pair disagrees.")
final class CompareCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Option(names = "--backends", required = true, split = ",", paramLabel = "A,B,...", description = "Backends to compare, e.g. onnx,tf,djl.")
    List<String> backends;

    @Option(names = "--model", paramLabel = "FILE", description = "Model file (default: the embedded demo network).")
    Path model;

    @Mixin
    RecipeOptions recipeOptions;

    @Option(names = "--size", paramLabel = "PX", description = "Image size (default: the model's own if fixed, else 180).")
    Integer size;

    @Option(names = "--threads", defaultValue = "0")
    int threads;

    @Option(names = "--device", defaultValue = "cpu", description = "Device of every backend: cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16", description = "Precision of every backend (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--tolerance-cosine", defaultValue = "0.9999", description = "Least step-0 gradient cosine (default: ${DEFAULT-VALUE}).")
    double toleranceCosine;

    @Option(names = "--tolerance-psnr", defaultValue = "40", description = "Least final-image PSNR in dB (default: ${DEFAULT-VALUE}).")
    double tolerancePsnr;

    @Option(names = "--out", defaultValue = "filtervis-compare", paramLabel = "DIR")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (out.toString().isEmpty()) {
            throw FiltervisException.usage("--out is empty; name an output folder");
        }
        checkBackends();
        if (!(toleranceCosine >= -1 && toleranceCosine <= 1)) {
            throw FiltervisException.usage("--tolerance-cosine " + toleranceCosine + " is not a cosine from -1 to 1 (e.g. 0.9999)");
        }
        if (!(tolerancePsnr >= 0) || Double.isInfinite(tolerancePsnr)) {
            throw FiltervisException.usage("--tolerance-psnr " + tolerancePsnr + " is not a finite number of dB from 0 (e.g. 40)");
        }
        org.filtervis.core.Limits.threads(threads);
        if (size != null) {
            org.filtervis.core.Limits.size(size);
        }
        Objective parsed = recipeOptions.objective(model);
        ModelFiles.Demo demo = ModelFiles.demo();
        String layerName = recipeOptions.layerName(demo);
        Path modelFile = ModelFiles.resolve(model);
        // Backends are compared on the recipe as given: the demo's redirected ReLU (onnx only) applies only when asked for.
        Recipe recipe = recipeOptions.recipe(recipeOptions.redirect != null ? recipeOptions.redirect : 0, size,
                recipeOptions.lucid() ? ModelFiles.inputRange(modelFile) : Optional.empty());
        org.filtervis.core.FilterList.Spec listed = org.filtervis.core.FilterList.parse(recipeOptions.filters == null ? "0-7" : recipeOptions.filters);
        List<Comparison.Run> runs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int usedSize = -1;
        List<Integer> chosen = List.of();
        for (String name : backends) {
            try (Session v = top.session(name, modelFile, new org.filtervis.api.BackendOptions(device, threads, precision), recipe, recipeOptions.batch)) {
                int fixed = v.model().input().height();
                int px = recipe.lucid() != null ? recipe.lucid().networkSize(fixed)
                        : size != null ? org.filtervis.core.Limits.size(size) : fixed > 0 ? fixed : Recipe.KERAS_SIZE;
                usedSize = px;
                try (GradientProvider gradients = parsed != null ? v.gradients(parsed, px, px) : v.gradients(layerName, px, px)) {
                    if (recipe.redirectSteps() > 0 && gradients.redirectedRelu().isEmpty()) {
                        throw FiltervisException.usage("backend '" + name + "' cannot redirect ReLU gradients for this model; run without --redirect-relu");
                    }
                    chosen = org.filtervis.core.FilterList.distinct(listed, gradients.channels(), layerName);
                    runs.add(run(v, gradients, layerName, chosen, recipe));
                }
            } catch (RuntimeException e) {
                // A backend that is not there or cannot take this model is reported, not fatal.
                FiltervisException reason = Filtervis.userError(e);
                if (reason == null) {
                    throw e;
                }
                String why = "backend " + name + ": " + reason.getMessage();
                skipped.add(why);
                top.err.println("filtervis: skipped " + why);
            }
        }
        if (runs.size() < 2) {
            throw FiltervisException.failure("fewer than two backends ran (" + runs.size() + "); nothing to compare");
        }
        org.filtervis.core.RunChoices.prepareOutput(out);
        List<Comparison.Pair> pairs = Comparison.pairs(runs);
        Comparison.Tolerance tolerance = new Comparison.Tolerance(toleranceCosine, tolerancePsnr);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", ModelFiles.describe(model));
        settings.put(recipeOptions.objective != null ? "objective" : "layer", layerName);
        settings.put("filters", chosen);
        settings.put("size", usedSize);
        settings.put("recipe", recipe.lucid() != null ? "lucid: " + recipe.lucid().describe() : "keras");
        settings.put("steps", recipe.steps());
        settings.put("lr", recipe.lr());
        settings.put("seed", recipe.seed());
        settings.put("redirect_relu_steps", recipe.redirectSteps());
        CompareReport.write(out, settings, runs, skipped, pairs, tolerance);
        Comparison.Pair worst = Comparison.worst(pairs);
        String summary = String.format(Locale.ROOT, "worst: filter %d, %s/%s: step-0 gradient cosine %.6f, final image PSNR %.1f dB",
                worst.filter(), worst.a(), worst.b(), worst.cosine(), worst.psnr());
        if (pairs.stream().allMatch(p -> Comparison.agrees(p, tolerance))) {
            top.out.println("backends agree (" + summary + "); report: " + out.resolve("report.html"));
            return 0;
        }
        top.err.println("filtervis: backends disagree; " + summary + "; report: " + out.resolve("report.html"));
        return Filtervis.FAILED;
    }

    /** Two or more distinct backends, each installed: checked before any work. */
    private void checkBackends() {
        List<String> names = backends.stream().map(String::strip).toList();
        if (names.stream().anyMatch(String::isEmpty)) {
            throw FiltervisException.usage("--backends " + String.join(",", backends) + " has an empty name; give two or more, e.g. onnx,tf,djl");
        }
        if (names.size() < 2) {
            throw FiltervisException.usage("--backends " + String.join(",", backends) + " names one backend; compare needs two or more, e.g. onnx,tf");
        }
        if (new java.util.HashSet<>(names).size() != names.size()) {
            throw FiltervisException.usage("--backends " + String.join(",", backends) + " names a backend twice; a backend always agrees with"
                    + " itself: give distinct backends");
        }
        java.util.Set<String> installed = top.registry().providers().keySet();
        for (String n : names) {
            if (!installed.contains(n)) {
                throw FiltervisException.usage("unknown backend '" + n + "'; installed: " + String.join(", ", new java.util.TreeSet<>(installed)));
            }
        }
        backends = names;
    }

    /** The recipe on one backend, plus the gradient of the initial images. */
    private static Comparison.Run run(Session v, GradientProvider gradients, String layer, List<Integer> filters, Recipe recipe) {
        InputSpec spec = gradients.input();
        int per = spec.elements();
        Map<Integer, float[]> step0 = new HashMap<>();
        for (int f : filters) {
            float[] image = new float[per];
            ImageMath.initialNoise(image, 0, per, recipe.seed(), f);
            float[] grad = new float[per];
            gradients.compute(image, new int[] {f}, new float[1], grad);
            step0.put(f, grad);
        }
        RunEngine.Result run = v.run(gradients, layer, filters, Map.of(), new GradientAscent.Listener() {});
        return new Comparison.Run(v.provider().name(), v.provider().version(), run.filters(), step0, run.record().timings().get("seconds_per_step"));
    }
}
