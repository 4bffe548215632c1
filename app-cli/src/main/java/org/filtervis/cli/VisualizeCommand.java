package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.filtervis.api.FilterResult;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.Model;
import org.filtervis.api.RunRecord;
import org.filtervis.core.ConsoleProgress;
import org.filtervis.core.IoMessages;
import org.filtervis.core.PngSinks;
import org.filtervis.core.Recipe;
import org.filtervis.core.RunJsonSink;
import org.filtervis.core.Visualizer;
import org.filtervis.graph.DemoNetwork;
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

    @Option(names = "--layer", paramLabel = "NAME", description = "Layer to visualize (required with --model; the demo's default is mixed4 of InceptionV3, or "
            + DemoNetwork.FIRST_LAYER + " of the generated network).")
    String layer;

    @Option(names = "--filters", paramLabel = "LIST", description = "Filters, e.g. 0-63 or 0,5,9 (default: the first 64; 16 for the InceptionV3 demo).")
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

    int redirectSteps;

    @Option(names = "--batch", defaultValue = "16", description = "Filters per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", defaultValue = "filtervis-out", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        if (out.toString().isEmpty()) {
            throw FiltervisException.usage("--out is empty; name an output folder");
        }
        if (layer == null && options.model != null) {
            throw FiltervisException.usage("--layer is required with --model; list the layers with: filtervis layers --model " + options.model);
        }
        DemoModelFile.Demo demo = DemoModelFile.demo();
        String layerName = layer != null ? layer : demo.layer();
        // The pretrained demo leaves many mixed4 filters dark on noise: it uses Lucid's fix unless told otherwise.
        redirectSteps = redirect != null ? redirect : options.model == null ? demo.redirectSteps() : 0;
        Recipe recipe = org.filtervis.core.Limits.recipe(new Recipe(steps, lr, seed, redirectSteps));
        long t0 = System.nanoTime();
        try (Visualizer v = top.visualizer(options.backend, Filtervis.modelOrDemo(options.model), options.device, options.threads, recipe, batch)) {
            Model model = v.model();
            int size = options.size(model.input());
            try (GradientProvider gradients = model.gradients(layerName, size, size)) {
                // The pretrained demo (299 px) shows 16 filters by default, so the first run takes a minute, not several.
                String defaults = options.model == null && demo.filters() != null ? demo.filters() : "0-" + (Math.min(64, gradients.channels()) - 1);
                List<Integer> chosen = Filters.distinct(Filters.parse(filters == null ? defaults : filters), gradients.channels(), layerName);
                if (redirectSteps > 0 && gradients.redirectedRelu().isEmpty()) {
                    throw FiltervisException.usage("backend '" + v.provider().name() + "' cannot redirect ReLU gradients for this model; run without --redirect-relu");
                }
                int full = Math.min(Math.min(batch, gradients.maxBatch()), chosen.size());
                org.filtervis.core.Limits.images(full, gradients.input().elements());
                prepareOutput(out);
                // Sessions and graphs are built here, as part of the setup, not in the first timed step.
                for (int images : new int[] {full, chosen.size() % full}) {
                    gradients.prepare(images);
                    if (redirectSteps > 0) {
                        gradients.redirectedRelu().ifPresent(r -> r.prepare(images));
                    }
                }
                double setup = (System.nanoTime() - t0) / 1e9;
                // Writing the images is timed apart from the ascent, which is what filters/s measures.
                long[] writing = {0};
                List<ImageSink> sinks = List.of(PngSinks.perFilter(out.resolve("filters")), PngSinks.grid(out.resolve("grid.png")),
                        new RunJsonSink(out.resolve("run.json"))).stream().map(sink -> timed(sink, writing)).toList();
                long t1 = System.nanoTime();
                List<FilterResult> results = v.visualize(gradients, layerName, chosen, sinks, new ConsoleProgress(top.err, top.terminal, quiet));
                double seconds = (System.nanoTime() - t1 - writing[0]) / 1e9;
                Map<String, Double> timings = new LinkedHashMap<>();
                timings.put("setup_seconds", setup);
                timings.put("ascent_seconds", seconds);
                timings.put("write_seconds", writing[0] / 1e9);
                timings.put("filters_per_second", results.size() / seconds);
                timings.put("seconds_per_step", seconds / (Math.ceil(results.size() / (double) Math.min(batch, gradients.maxBatch())) * steps));
                RunRecord record = new RunRecord(settings(v, layerName, chosen, size), results, timings);
                for (ImageSink s : sinks) {
                    s.runDone(record);
                }
                long flagged = results.stream().filter(r -> r.status() != FilterResult.Status.OK).count();
                List<Integer> noGradient = results.stream().filter(r -> r.status() == FilterResult.Status.ZERO_GRADIENT)
                        .map(FilterResult::filter).toList();
                if (!quiet) {
                    top.err.printf("wrote %s (%d filters, %.2f filters/s%s)%n", out.resolve("grid.png"), results.size(), results.size() / seconds,
                            flagged > 0 ? ", " + flagged + " dead, NaN or without gradient: see run.json" : "");
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

    /** {@code sink}, adding the time its filterDone takes to {@code nanos[0]}. */
    private static ImageSink timed(ImageSink sink, long[] nanos) {
        return new ImageSink() {
            @Override
            public void filterDone(FilterResult result) throws IOException {
                long t = System.nanoTime();
                try {
                    sink.filterDone(result);
                } finally {
                    nanos[0] += System.nanoTime() - t;
                }
            }

            @Override
            public void runDone(RunRecord record) throws IOException {
                sink.runDone(record);
            }
        };
    }

    private Map<String, Object> settings(Visualizer v, String layerName, List<Integer> chosen, int size) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", Filtervis.describeModel(options.model));
        s.put("layer", layerName);
        s.put("backend", v.provider().name());
        s.put("backend_version", v.provider().version());
        s.put("device", options.device);
        s.put("threads", options.threads);
        s.put("recipe", "keras");
        s.put("filters", chosen);
        s.put("size", size);
        s.put("steps", steps);
        s.put("lr", lr);
        s.put("seed", seed);
        s.put("redirect_relu_steps", redirectSteps);
        s.put("batch", batch);
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
