package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.Session;
import org.filtervis.core.atlas.Atlas;
import org.filtervis.core.atlas.AtlasRun;
import org.filtervis.core.atlas.AtlasView;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "atlas", description = "Renders every chosen filter of a network into a static site to browse: index.html, a page per layer"
        + " and per filter, with Lucid's recipe (and redirected ReLU for its first 16 steps where the backend has it) unless --recipe says otherwise. Resumable: a rerun with the same settings renders only what is missing.")
final class AtlasCommand extends ModelCommand implements Callable<Integer> {
    @Mixin
    RecipeOptions recipeOptions;

    @Option(names = "--layers", paramLabel = "blocks|all|L1,L2", description = Help.LAYERS)
    String layers;

    @Option(names = "--engine", defaultValue = "local", paramLabel = "local|spark", description = Help.ENGINE)
    String engine;

    @Option(names = "--master", paramLabel = "URL", description = Help.MASTER)
    String master;

    @Option(names = "--images", paramLabel = "PATH", description = Help.IMAGES)
    Path images;

    @Option(names = "--views", defaultValue = "channel", paramLabel = "LIST", description = "Each filter's views, as OpenAI Microscope shows them:"
            + " channel (its tile), negative (the channel minimized), neuron (the unit at the map's centre), diversity (4 images optimized"
            + " together, channel - 100 x diversity as Lucid's notebook); e.g. channel,negative,neuron,diversity (default: channel). Each view"
            + " renders as many images as the channel (diversity 4), on the filter's page.")
    String views;

    @Override
    public Integer call() throws IOException {
        String out = output.location("filtervis-atlas");
        if (recipeOptions.layer != null || recipeOptions.objective != null) {
            throw FiltervisException.usage("atlas takes --layers (blocks, all or a list), not --layer or --objective");
        }
        ModelFiles.Demo demo = ModelFiles.demo();
        boolean pretrainedDemo = options.model == null && demo.filters() != null;
        Path modelFile = ModelFiles.resolve(options.model);
        recipeOptions.defaultRecipe = "lucid";
        Recipe recipe = recipeOptions.recipe(recipeOptions.atlasRedirectSteps(options.model, demo), options.size,
                recipeOptions.lucid() ? ModelFiles.inputRange(modelFile) : Optional.empty());
        AtlasRun run = new AtlasRun(layers != null ? layers : pretrainedDemo ? "mixed0,mixed1,mixed2,mixed3,mixed4,mixed5" : "blocks",
                recipeOptions.filters != null ? recipeOptions.filters : pretrainedDemo ? "0-7" : null, recipe, recipeOptions.redirect != null,
                options.size, engine, master, out, modelFile, (options.model != null ? options.model : modelFile).getFileName().toString(),
                ModelFiles.describe(options.model), top.pluginsDirs().stream().map(p -> p.toAbsolutePath().toString()).toList(), top.verbose, images,
                images == null ? null : recipe.lucid() != null ? recipe.lucid().range() : recipe.maco() != null ? recipe.maco().range()
                        : ModelFiles.inputRange(modelFile).orElse(org.filtervis.core.lucid.InputRange.UNIT), AtlasView.parse(views));
        try (Session s = top.session(options.backend, modelFile, options.backendOptions(), recipe, recipeOptions.batch)) {
            AtlasRun.Result r = run.run(s, org.filtervis.core.atlas.AtlasEngines.of(top.registry()), progressLine(), line -> {
                if (!output.quiet) {
                    top.err.println(line);
                }
            });
            Atlas.Summary sum = r.summary();
            if (!output.quiet) {
                top.err.printf(Locale.ROOT, "wrote %s (%d filters: %d rendered, %d already there; %.1f s, %.2f filters/s)%n", r.index(), sum.total(),
                        sum.rendered(), sum.alreadyStored(), sum.seconds(), sum.rendered() / Math.max(sum.seconds(), 1e-9));
            }
        }
        return 0;
    }

    /** One progress line across the whole atlas, redrawn in place on a terminal, at most once a second: filters done, filters/s, time left. */
    private Atlas.Progress progressLine() {
        long[] lastPrint = {0};
        return (done, total, rendered, seconds) -> {
            if (output.quiet) {
                return;
            }
            synchronized (lastPrint) {
                long now = System.nanoTime();
                if (done < total && now - lastPrint[0] < 1_000_000_000L) {
                    return;
                }
                lastPrint[0] = now;
                double rate = rendered / Math.max(seconds, 1e-9);
                String left = rendered == 0 ? "" : String.format(Locale.ROOT, ", %s left", duration((total - done) / rate));
                top.err.printf(Locale.ROOT, "%satlas: %d/%d filters, %.2f filters/s%s%s", top.terminal ? "\r" : "", done, total, rate, left,
                        top.terminal && done < total ? "" : "\n");
            }
        };
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d h %02d min", s / 3600, s / 60 % 60) : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
}
