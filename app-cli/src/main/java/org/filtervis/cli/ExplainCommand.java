package org.filtervis.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.Session;
import org.filtervis.core.explain.Attributor;
import org.filtervis.core.explain.Evaluation;
import org.filtervis.core.explain.ExplainJob;
import org.filtervis.core.explain.ExplainRun;
import org.filtervis.core.explain.Method;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "explain", description = "Shows which part of a photo made a classifier choose a class: Grad-CAM and its family,"
        + " saliency, SmoothGrad, Integrated Gradients. Writes overlays, heat maps, .npy maps, explain.json and index.html.")
final class ExplainCommand extends ModelCommand implements Callable<Integer> {
    @Option(names = "--image", required = true, paramLabel = "FILE|DIR", description = "A PNG or JPEG photo, or a folder of them.")
    Path image;

    @Option(names = "--layer", paramLabel = "NAME", description = Help.LAYER)
    String layer;

    @Option(names = "--class", split = ",", paramLabel = "K", description = "Classes to explain, by index or name (default: the top class).")
    List<String> classes;

    @Option(names = "--top", paramLabel = "N", description = Help.TOP)
    Integer topN;

    @Option(names = "--method", defaultValue = "gradcam", paramLabel = "LIST", description = "gradcam, gradcam++, hirescam, layercam, xgradcam,"
            + " eigencam, eigengradcam, ablationcam, scorecam, saliency, smoothgrad, integrated-gradients, a comma-separated list, or all (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--evaluate", paramLabel = "LIST", description = "Measure each map: deletion, insertion (their curves and areas), mufidelity,"
            + " road, sensitivity (max-sensitivity), randomization (the map on copies of the model with its top blocks re-drawn), a"
            + " comma-separated list, or all; into explain.json's \"metrics\" and a table on index.html (docs/explain.md defines each).")
    String evaluate;

    @Option(names = "--eval-steps", defaultValue = "10", paramLabel = "N", description = "deletion and insertion: steps of the curve (default: ${DEFAULT-VALUE}).")
    int evalSteps;

    @Option(names = "--eval-baseline", defaultValue = "zero", paramLabel = "zero|blur|mean", description = "What removed pixels become: 0 in the"
            + " model's input space, the photo blurred (Gaussian, sigma 5 px), or each channel's mean (default: ${DEFAULT-VALUE}).")
    String evalBaseline;

    @Option(names = "--eval-samples", defaultValue = "128", paramLabel = "N", description = "mufidelity: subsets of the 9 x 9 grid; sensitivity:"
            + " perturbations, each one more run of the method (default: ${DEFAULT-VALUE}).")
    int evalSamples;

    @Option(names = "--labels", paramLabel = "FILE", description = Help.LABELS)
    Path labels;

    @Mixin
    InputRangeOptions input;

    @Option(names = "--samples", defaultValue = "50", description = "smoothgrad: noisy copies (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--noise", defaultValue = "0.15", description = "smoothgrad: noise sd as a fraction of the input's range (default: ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--ig-steps", paramLabel = "N", description = "integrated-gradients: gradients on the path (default: 256).")
    Integer igSteps;

    /** The old name of --ig-steps (visualize's --steps means ascent steps): kept for one release. */
    @Option(names = "--steps", hidden = true)
    Integer oldSteps;

    @Option(names = "--baseline", defaultValue = "black", paramLabel = "black|blur|noise", description = "integrated-gradients: the"
            + " baseline image (default: ${DEFAULT-VALUE}).")
    String baseline;

    @Option(names = "--path-rule", defaultValue = "adaptive", paramLabel = "adaptive|uniform", description = "integrated-gradients: where"
            + " the gradients go on the path: adaptive (to the intervals that break completeness most) or uniform midpoints (default: ${DEFAULT-VALUE}).")
    String pathRule;

    @Option(names = "--seed", defaultValue = "0", description = Help.SEED)
    long seed;

    @Override
    public Integer call() {
        Path out = output.folder("explain-out");
        if (classes != null && topN != null) {
            throw FiltervisException.usage("give --class or --top, not both");
        }
        if (igSteps != null && oldSteps != null) {
            throw FiltervisException.usage("give --ig-steps, not both it and --steps (its old name)");
        }
        if (oldSteps != null && !output.quiet) {
            top.err.println("filtervis: note: explain's --steps is now --ig-steps (--steps means ascent steps elsewhere); the old name goes in the next release");
        }
        int steps = igSteps != null ? igSteps : oldSteps != null ? oldSteps : 256;
        Path modelFile = options.model != null ? ModelFiles.resolve(options.model) : ModelFiles.demoClassifier().orElseThrow(() -> FiltervisException
                .usage("--model is required (the demo's classifier is not fetched; tools/demo-models.sh fetches nsfwjs's MobileNetV2)"));
        InputRange range = input.range(input.given() ? Optional.empty() : ModelFiles.inputRange(modelFile)).orElse(null);
        List<String> names = labels != null ? ModelFiles.readLabels(labels) : ModelFiles.labels(modelFile).orElse(null);
        ExplainJob job = new ExplainJob(image, layer, classes == null ? List.of() : classes, topN != null ? topN : 1, Method.parse(method), names, range,
                new Attributor.Settings(samples, noise, steps, baseline, pathRule, seed), options.size, out,
                ModelFiles.describe(options.model == null ? modelFile : options.model), Filtervis.version(),
                new Evaluation.Settings(evaluate == null ? List.of() : Evaluation.parse(evaluate), evalSteps, evalBaseline, evalSamples, seed),
                new org.filtervis.models.RandomizedCopies());
        long t0 = System.nanoTime();
        try (Session s = top.session(options.backend, modelFile, options.backendOptions(), Recipe.keras(), 1)) {
            List<ExplainRun.Explained> results = job.run(s, note -> {
                if (!output.quiet) {
                    top.err.println("filtervis: note: " + FlagWords.of(note));
                }
            }, (p, m, k, done, total) -> {
                if (!output.quiet) {
                    top.err.printf("explain %d/%d: %s, %s, class %s%n", done + 1, total, p.file().getFileName(), m.cliName(),
                            names != null ? names.get(k) + " (" + k + ")" : String.valueOf(k));
                }
            });
            for (ExplainRun.Explained e : results) {
                for (Attributor.Result r : e.results()) {
                    // Integrated Gradients whose attributions miss S(x) - S(b) by more than 5%: said, not hidden.
                    if (r.details().get("completeness_error") instanceof Double d && d > 0.05 && !output.quiet) {
                        top.err.printf(Locale.ROOT, "filtervis: note: integrated-gradients on %s, class %d: the attributions miss S(x) - S(baseline)"
                                + " by %.1f%%; raise --ig-steps (now %d)%n", e.photo().file().getFileName(), r.classIndex(), 100 * d, steps);
                    }
                }
            }
            if (!output.quiet) {
                top.err.printf(Locale.ROOT, "wrote %s (%d photos, %d maps, %.1f s)%n", out.resolve("index.html"), results.size(),
                        results.stream().mapToInt(r -> r.results().size()).sum(), (System.nanoTime() - t0) / 1e9);
            }
        }
        return 0;
    }
}
