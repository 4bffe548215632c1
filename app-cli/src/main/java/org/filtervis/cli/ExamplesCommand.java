package org.filtervis.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.core.Session;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.core.photos.ExamplesJob;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "examples", description = "Finds the photos of a collection that most (and least) excite each channel of some layers,"
        + " in one streaming pass (dataset examples, as Microscope shows them). Writes examples.json.")
final class ExamplesCommand extends ModelCommand implements Callable<Integer> {
    @Option(names = "--layers", paramLabel = "blocks|all|L1,L2", description = Help.LAYERS)
    String layers;

    @Option(names = "--images", required = true, paramLabel = "PATH", description = Help.IMAGES)
    String images;

    @Option(names = "--top", paramLabel = "N", description = Help.TOP)
    Integer topK;

    @Option(names = "--bottom", defaultValue = "0", paramLabel = "K", description = "Photos kept per channel with the smallest values"
            + " (default: none).")
    int bottomK;

    @Option(names = "--reduce", defaultValue = "max", paramLabel = "max|mean", description = "A channel's value on a photo: the largest of"
            + " its activation map (NetDissect's and MILAN's, the default) or its mean (the channel objective's).")
    String reduce;

    @Option(names = "--batch", defaultValue = "16", description = Help.BATCH)
    int batch;

    @Option(names = "--engine", defaultValue = "local", paramLabel = "local|spark", description = Help.ENGINE)
    String engine;

    @Option(names = "--master", paramLabel = "URL", description = Help.MASTER)
    String master;

    @Mixin
    InputRangeOptions input;

    /** The collection: a local path, or a Hadoop URI through the chosen engine (or any installed one) that reaches it. */
    private org.filtervis.core.photos.PhotoSource source() {
        if (!images.matches("[A-Za-z][A-Za-z0-9+.-]*://.*") || images.startsWith("file://")) {
            return org.filtervis.core.photos.PhotoSource.local(images.startsWith("file://") ? Path.of(java.net.URI.create(images)) : Path.of(images));
        }
        var engines = ExamplesJob.engines(top.registry());
        org.filtervis.core.photos.ExamplesEngine through = engines.getOrDefault(engine, engines.values().stream().findFirst().orElse(null));
        if (through == null) {
            throw org.filtervis.api.FiltervisException.usage("photos " + images + " are on a file system only an engine plugin reaches, and none is"
                    + " installed; give a local folder");
        }
        return through.photos(images).orElseThrow(() -> org.filtervis.api.FiltervisException.usage("engine '" + through.name()
                + "' reaches no file system for " + images));
    }

    @Override
    public Integer call() {
        Path out = output.folder("filtervis-examples");
        Path modelFile = ModelFiles.resolve(options.model);
        InputRange range = input.range(input.given() ? Optional.empty() : ModelFiles.inputRange(modelFile)).orElse(null);
        boolean unit = range == null;
        if (unit) {
            range = InputRange.UNIT;
        }
        ExamplesJob job = new ExamplesJob(source(), List.of((layers == null ? "blocks" : layers).split(",")), topK != null ? topK : 9, bottomK, reduce,
                range, options.size, batch, out, ModelFiles.describe(options.model == null ? modelFile : options.model));
        long t0 = System.nanoTime();
        org.filtervis.core.photos.ExamplesEngine remote = null;
        if (!engine.equals("local")) {
            var engines = ExamplesJob.engines(top.registry());
            remote = engines.get(engine);
            if (remote == null) {
                throw org.filtervis.api.FiltervisException.usage("unknown engine '" + engine + "'; installed: local"
                        + (engines.isEmpty() ? "" : ", " + String.join(", ", new java.util.TreeSet<>(engines.keySet()))));
            }
            if (master != null) {
                remote.checkMaster(master);
            }
        } else if (master != null) {
            throw org.filtervis.api.FiltervisException.usage("--master belongs to an engine that runs elsewhere (--engine spark), not to --engine local");
        }
        try (Session s = top.session(options.backend, modelFile, options.backendOptions(), Recipe.keras(), batch)) {
            List<String> plugins = top.pluginsDirs().stream().map(p -> p.toAbsolutePath().toString()).toList();
            ExamplesJob.Result r = job.run(s, remote, (chosen, px) -> job.work(s.provider().name(), modelFile, options.backendOptions(), plugins,
                    chosen, px), master, top.verbose, note -> {
                        if (!output.quiet) {
                            top.err.println("filtervis: " + note);
                        }
                    });
            if (unit && !output.quiet) {
                // Said once the scan is done, so an error stays the only line.
                top.err.println("filtervis: note: the model records no input range; photos went in as 0:1 (give --preprocess or --input-range)");
            }
            if (!output.quiet) {
                double seconds = (System.nanoTime() - t0) / 1e9;
                top.err.printf(Locale.ROOT, "wrote %s (%d photos, %d skipped, %d layers, %.1f s, %.1f photos/s)%n", out.resolve("examples.json"),
                        r.images(), r.skipped().size(), r.layers().size(), seconds, r.images() / seconds);
            }
        }
        return 0;
    }
}
