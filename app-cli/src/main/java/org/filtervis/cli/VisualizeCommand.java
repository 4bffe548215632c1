package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.api.FilterResult;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.core.ConsoleProgress;
import org.filtervis.core.IoMessages;
import org.filtervis.core.Recipe;
import org.filtervis.api.Objective;
import org.filtervis.core.RunEngine;
import org.filtervis.core.Visualizer;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "visualize", description = "Runs the gradient-ascent recipe and writes grid.png, filters/*.png and run.json.")
final class VisualizeCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Mixin
    Filtervis.ModelOptions options;

    @Mixin
    RecipeOptions recipeOptions;

    int redirectSteps;

    @Option(names = "--out", defaultValue = "filtervis-out", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        if (out.toString().isEmpty()) {
            throw FiltervisException.usage("--out is empty; name an output folder");
        }
        Objective parsed = recipeOptions.objective(options.model);
        ModelFiles.Demo demo = ModelFiles.demo();
        String layerName = recipeOptions.layerName(demo);
        redirectSteps = recipeOptions.redirectSteps(options.model, demo);
        Path modelFile = ModelFiles.resolve(options.model);
        Recipe recipe = recipeOptions.recipe(redirectSteps, options.size, recipeOptions.lucid() ? ModelFiles.inputRange(modelFile) : Optional.empty());
        int batch = recipeOptions.batch;
        long t0 = System.nanoTime();
        try (Visualizer v = top.visualizer(options.backend, modelFile, options.backendOptions(), recipe, batch, out)) {
            Model model = v.model();
            // Lucid's recipe optimizes an image of its own size and shows the network a transformed, resized one.
            int size = recipe.lucid() != null ? recipe.lucid().networkSize(model.input().height()) : options.size(model.input());
            if (recipe.lucid() != null) {
                recipe.lucid().range().forChannels(model.input().channels());
            }
            // Without --objective, today's fused channel path: byte-identical images.
            try (GradientProvider gradients = parsed != null ? v.gradients(parsed, size, size) : v.gradients(layerName, size, size)) {
                // The pretrained demo (299 px) shows 16 filters by default, so the first run takes a minute, not several.
                String defaults = options.model == null && demo.filters() != null ? demo.filters() : "0-" + (Math.min(64, gradients.channels()) - 1);
                List<Integer> chosen = Filters.distinct(Filters.parse(recipeOptions.filters == null ? defaults : recipeOptions.filters), gradients.channels(), layerName);
                if (redirectSteps > 0 && gradients.redirectedRelu().isEmpty()) {
                    if (recipeOptions.redirect != null) {
                        throw FiltervisException.usage("backend '" + v.provider().name() + "' cannot redirect ReLU gradients for this model; run without --redirect-relu");
                    }
                    // The demo's default, not the user's request: run without it, and say so.
                    redirectSteps = 0;
                    if (!quiet) {
                        top.err.println("filtervis: note: backend '" + v.provider().name() + "' cannot redirect ReLU gradients (the demo's default);"
                                + " filters that do not fire on noise may stay dead (--backend onnx redirects)");
                    }
                }
                org.filtervis.core.Limits.activations(Math.min(batch, chosen.size()), v.layers(size, size), size);
                // Sessions are built (and a batch that cannot fit refused) before the output folder exists; run() finds them built.
                RunEngine.prepare(gradients, recipe, batch, chosen.size());
                prepareOutput(out);
                RunEngine.Result run = v.run(gradients, layerName, chosen, settings(v, layerName, chosen, size, recipe), (System.nanoTime() - t0) / 1e9,
                        new ConsoleProgress(top.err, top.terminal, quiet));
                List<FilterResult> results = run.filters();
                long flagged = results.stream().filter(r -> r.status() != FilterResult.Status.OK).count();
                List<Integer> noGradient = run.withoutGradient();
                if (!quiet) {
                    top.err.printf("wrote %s (%d filters, %.2f filters/s%s)%n", out.resolve("grid.png"), results.size(), run.filtersPerSecond(),
                            flagged > 0 ? ", " + flagged + " dead, NaN or without gradient: see run.json" : "");
                }
                List<Integer> nonFinite = results.stream().filter(r -> r.status() == FilterResult.Status.NAN).map(FilterResult::filter).toList();
                if (!nonFinite.isEmpty()) {
                    throw FiltervisException.failure("filters " + nonFinite + " got a non-finite (NaN or infinite) objective or gradient"
                            + " (their tiles stop at that step, see run.json); check the objective's weights and --lr");
                }
                if (!noGradient.isEmpty()) {
                    throw FiltervisException.failure("filters " + noGradient + " fired but backend '" + v.provider().name()
                            + "' gave them an all-zero gradient: it lost the gradient, or they are constant near this image (tiles crossed out,"
                            + " see run.json); check with another --backend");
                }
            }
        }
        return 0;
    }

    private Map<String, Object> settings(Visualizer v, String layerName, List<Integer> chosen, int size, Recipe recipe) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", ModelFiles.describe(options.model));
        s.put(recipeOptions.objective != null ? "objective" : "layer", layerName);
        s.put("backend", v.provider().name());
        s.put("backend_version", v.provider().version());
        s.put("device", options.device);
        s.put("threads", options.threads);
        s.put("precision", options.precision);
        s.put("recipe", recipe.lucid() != null ? "lucid" : "keras");
        if (recipe.lucid() != null) {
            s.put("lucid", recipe.lucid().describe());
            s.put("image_size", recipe.lucid().size());
        }
        s.put("filters", chosen);
        s.put("size", size);
        s.put("steps", recipe.steps());
        s.put("lr", recipe.lr());
        s.put("seed", recipe.seed());
        s.put("redirect_relu_steps", redirectSteps);
        s.put("batch", recipeOptions.batch);
        s.put("filtervis_version", new Filtervis.Version().getVersion()[0]);
        s.put("java_version", System.getProperty("java.version"));
        return s;
    }

    /** Creates the output folder, or fails before anything is written. */
    static void prepareOutput(Path out) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw FiltervisException.failure("cannot create output folder " + out + " (" + IoMessages.describe(e)
                    + "); choose a writable folder with --out");
        }
        if (!Files.isWritable(out)) {
            throw FiltervisException.failure("output folder " + out + " is not writable; choose a writable folder with --out");
        }
    }
}
