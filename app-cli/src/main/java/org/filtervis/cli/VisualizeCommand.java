package org.filtervis.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.api.Objective;
import org.filtervis.core.ascent.ConsoleProgress;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.Session;
import org.filtervis.core.VisualizeJob;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "visualize", description = "Runs the gradient-ascent recipe and writes grid.png, filters/*.png and run.json.")
final class VisualizeCommand extends ModelCommand implements Callable<Integer> {
    @Mixin
    RecipeOptions recipeOptions;

    @Override
    public Integer call() {
        Path out = output.folder("filtervis-out");
        Objective parsed = recipeOptions.objective(options.model);
        ModelFiles.Demo demo = ModelFiles.demo();
        Path modelFile = ModelFiles.resolve(options.model);
        Recipe recipe = recipeOptions.recipe(recipeOptions.redirectSteps(options.model, demo), options.size,
                recipeOptions.lucid() ? ModelFiles.inputRange(modelFile) : Optional.empty());
        // The pretrained demo (299 px) shows 16 filters by default, so the first run takes a minute, not several.
        VisualizeJob job = new VisualizeJob(recipeOptions.layerName(demo), parsed, recipeOptions.filters, options.model == null ? demo.filters() : null,
                recipe, recipeOptions.redirect != null, options.size, out, ModelFiles.describe(options.model), Filtervis.version());
        try (Session s = top.session(options.backend, modelFile, options.backendOptions(), recipe, recipeOptions.batch, out)) {
            VisualizeJob.Result r = job.run(s, note -> {
                if (!output.quiet) {
                    top.err.println("filtervis: note: " + note);
                }
            }, new ConsoleProgress(top.err, top.terminal, output.quiet));
            if (!output.quiet) {
                top.err.printf("wrote %s (%d filters, %.2f filters/s%s)%n", out.resolve("grid.png"), r.filters().size(), r.run().filtersPerSecond(),
                        r.flagged() > 0 ? ", " + r.flagged() + " dead, NaN or without gradient: see run.json" : "");
            }
        }
        return 0;
    }
}
