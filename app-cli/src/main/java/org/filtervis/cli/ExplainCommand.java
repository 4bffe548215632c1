package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.IoMessages;
import org.filtervis.core.Recipe;
import org.filtervis.core.Session;
import org.filtervis.core.explain.Attributor;
import org.filtervis.core.explain.ExplainRun;
import org.filtervis.core.explain.Method;
import org.filtervis.core.explain.Photos;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "explain", description = "Shows which part of a photo made a classifier choose a class: Grad-CAM and its family,"
        + " saliency, SmoothGrad, Integrated Gradients. Writes overlays, heat maps, .npy maps, explain.json and index.html.")
final class ExplainCommand implements Callable<Integer> {
    /** At most this many photos in one run. */
    static final int MAX_IMAGES = 10_000;

    @ParentCommand
    Filtervis top;

    @Mixin
    Filtervis.ModelOptions options;

    @Option(names = "--image", required = true, paramLabel = "FILE|DIR", description = "A PNG or JPEG photo, or a folder of them.")
    Path image;

    @Option(names = "--layer", paramLabel = "NAME", description = "Layer of the class activation maps (default: the last layer with height and width before the head).")
    String layer;

    @Option(names = "--class", split = ",", paramLabel = "K", description = "Classes to explain, by index or name (default: the top class).")
    List<String> classes;

    @Option(names = "--top", paramLabel = "N", description = "Explain each photo's N highest-scoring classes (default: 1).")
    Integer topN;

    @Option(names = "--method", defaultValue = "gradcam", paramLabel = "LIST", description = "gradcam, gradcam++, hirescam, layercam, scorecam,"
            + " saliency, smoothgrad, integrated-gradients, a comma-separated list, or all (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--labels", paramLabel = "FILE", description = "Class names, one per line (default: the names the model records, if any).")
    Path labels;

    @Option(names = "--preprocess", paramLabel = "NAME", description = "torchvision, keras-inception, caffe or none, instead of --input-range/--mean/--std.")
    String preprocess;

    @Option(names = "--input-range", paramLabel = "LO:HI", description = "The model's pixel range (default: the model's own where it records one, else 0:1).")
    String inputRange;

    @Option(names = "--mean", split = ",", paramLabel = "R,G,B", description = "Per-channel mean subtracted after the range.")
    double[] mean;

    @Option(names = "--std", split = ",", paramLabel = "R,G,B", description = "Per-channel deviation divided by after the mean.")
    double[] std;

    @Option(names = "--samples", defaultValue = "50", description = "smoothgrad: noisy copies (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--noise", defaultValue = "0.15", description = "smoothgrad: noise sd as a fraction of the input's range (default: ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--ig-steps", paramLabel = "N", description = "integrated-gradients: gradients on the path (default: 256).")
    Integer igSteps;

    /** The old name of --ig-steps (visualize's --steps means ascent steps): kept for one release. */
    @Option(names = "--steps", hidden = true)
    Integer oldSteps;

    int steps;

    @Option(names = "--baseline", defaultValue = "black", paramLabel = "black|blur|noise", description = "integrated-gradients: the"
            + " baseline image (default: ${DEFAULT-VALUE}).")
    String baseline;

    @Option(names = "--path-rule", defaultValue = "adaptive", paramLabel = "adaptive|uniform", description = "integrated-gradients: where"
            + " the gradients go on the path: adaptive (to the intervals that break completeness most) or uniform midpoints (default: ${DEFAULT-VALUE}).")
    String pathRule;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of smoothgrad's and the noise baseline's draws (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "explain-out", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() {
        if (out.toString().isEmpty()) {
            throw FiltervisException.usage("--out is empty; name an output folder");
        }
        if (classes != null && topN != null) {
            throw FiltervisException.usage("give --class or --top, not both");
        }
        if (topN != null && topN < 1) {
            throw FiltervisException.usage("--top " + topN + " must be 1 or more");
        }
        if (igSteps != null && oldSteps != null) {
            throw FiltervisException.usage("give --ig-steps, not both it and --steps (its old name)");
        }
        if (oldSteps != null && !quiet) {
            top.err.println("filtervis: note: explain's --steps is now --ig-steps (--steps means ascent steps elsewhere); the old name goes in the next release");
        }
        steps = igSteps != null ? igSteps : oldSteps != null ? oldSteps : 256;
        List<Method> methods = Method.parse(method);
        Attributor.Settings settings = new Attributor.Settings(samples, noise, steps, baseline, pathRule, seed);
        Path modelFile = modelFile();
        List<Path> files = images(image);
        long t0 = System.nanoTime();
        try (Session v = top.session(options.backend, modelFile, options.backendOptions(), Recipe.keras(), 1)) {
            Model model = v.model();
            if (model.input().channels() != 3) {
                throw FiltervisException.usage("the model takes " + model.input().channels() + " channels; explain reads RGB photos (3 channels)");
            }
            int size = options.size != null ? org.filtervis.core.Limits.size(options.size) : model.input().height() > 0 ? model.input().height() : 224;
            List<LayerInfo> layers = v.layers(size, size);
            Attributor.Head head = Attributor.head(layers);
            List<String> names = labels != null ? ModelFiles.readLabels(labels) : ModelFiles.labels(modelFile).orElse(null);
            if (names != null && names.size() != head.classes()) {
                throw FiltervisException.usage((labels != null ? "labels file " + labels : "the model's labels") + " has " + names.size()
                        + " names; the model has " + head.classes() + " classes");
            }
            List<Integer> given = classIndices(names, head.classes());
            if (topN != null && topN > head.classes()) {
                throw FiltervisException.usage("--top " + topN + " is more than the model's " + head.classes() + " classes; give at most "
                        + head.classes());
            }
            InputRange range = range(modelFile);
            String chosenLayer = layer != null ? layer : Attributor.defaultLayer(layers, head);
            try (Attributor attributor = Attributor.open(model, chosenLayer, head, range, size)) {
                if (!quiet && head.note() != null) {
                    top.err.println("filtervis: note: " + head.note());
                }
                Map<String, Object> record = record(v, attributor, head, range, size, methods, settings);
                // Every photo is checked before anything is written; then one at a time, so memory does not grow with the folder.
                List<ExplainRun.Explained> results = ExplainRun.run(attributor, files, size, methods,
                        new ExplainRun.Classes(given, topN != null ? topN : 1), settings, (p, m, k, done, total) -> {
                            if (!quiet) {
                                top.err.printf("explain %d/%d: %s, %s, class %s%n", done + 1, total, p.file().getFileName(), m.cliName(), label(names, k));
                            }
                        }, out, names, record);
                warnIncomplete(results);
                if (!quiet) {
                    top.err.printf(Locale.ROOT, "wrote %s (%d photos, %d maps, %.1f s)%n", out.resolve("index.html"), files.size(),
                            results.stream().mapToInt(r -> r.results().size()).sum(), (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        return 0;
    }

    /** Integrated Gradients whose attributions miss S(x) - S(b) by more than 5%: said, not hidden. */
    private void warnIncomplete(List<ExplainRun.Explained> results) {
        for (ExplainRun.Explained e : results) {
            for (Attributor.Result r : e.results()) {
                Object error = r.details().get("completeness_error");
                if (error instanceof Double d && d > 0.05 && !quiet) {
                    top.err.printf(Locale.ROOT, "filtervis: note: integrated-gradients on %s, class %d: the attributions miss S(x) - S(baseline) by %.1f%%;"
                            + " raise --ig-steps (now %d)%n", e.photo().file().getFileName(), r.classIndex(), 100 * d, steps);
                }
            }
        }
    }

    private Path modelFile() {
        if (options.model != null) {
            return ModelFiles.resolve(options.model);
        }
        return ModelFiles.demoClassifier().orElseThrow(() -> FiltervisException.usage(
                "--model is required (the demo's classifier is not fetched; tools/demo-models.sh fetches nsfwjs's MobileNetV2)"));
    }

    private static String label(List<String> names, int k) {
        return names != null ? names.get(k) + " (" + k + ")" : String.valueOf(k);
    }

    /** --class as indices: numbers, or names from the labels. */
    private List<Integer> classIndices(List<String> names, int count) {
        List<Integer> out = new ArrayList<>();
        if (classes == null) {
            return out;
        }
        for (String c : classes) {
            String t = c.strip();
            int k;
            if (t.matches("-?\\d+")) {
                // Beyond int, it is out of range all the same.
                java.math.BigInteger big = new java.math.BigInteger(t);
                k = big.bitLength() < 31 ? big.intValue() : -1;
                if (k < 0 || k >= count) {
                    throw FiltervisException.usage("class " + t + " is out of range: the model has classes 0 to " + (count - 1));
                }
            } else {
                k = names == null ? -1 : names.indexOf(t);
                if (k < 0) {
                    throw FiltervisException.usage("class '" + t + "' is not a class number" + (names == null ? " and the model has no labels (--labels FILE)"
                            : " or one of the model's labels: " + String.join(", ", names.subList(0, Math.min(10, names.size()))) + (names.size() > 10 ? ", ..." : "")));
                }
            }
            if (k < 0 || k >= count) {
                throw FiltervisException.usage("class " + k + " is out of range: the model has classes 0 to " + (count - 1));
            }
            if (!out.contains(k)) {
                out.add(k);
            }
        }
        return out;
    }

    /** --preprocess, or --input-range with --mean/--std, or the model's own, or 0:1 (said in a note). */
    private InputRange range(Path modelFile) {
        boolean given = preprocess != null || inputRange != null || mean != null || std != null;
        Optional<InputRange> declared = given ? Optional.empty() : ModelFiles.inputRange(modelFile);
        if (!given && declared.isEmpty() && !quiet) {
            top.err.println("filtervis: note: the model records no input range; photos go in as 0:1 (give --preprocess torchvision|keras-inception|caffe or --input-range)");
        }
        return InputRange.choose(preprocess, inputRange, mean, std, declared);
    }

    /** The photo, or the PNG and JPEG files of a folder (not its sub-folders), by name. */
    static List<Path> images(Path given) {
        if (Files.isDirectory(given)) {
            List<Path> found;
            try (Stream<Path> s = Files.list(given)) {
                found = s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g)"))
                        .sorted().limit(MAX_IMAGES + 1).toList();
            } catch (IOException e) {
                throw FiltervisException.usage("cannot list " + given + " (" + IoMessages.describe(e) + ")");
            }
            if (found.isEmpty()) {
                throw FiltervisException.usage("folder " + given + " has no .png, .jpg or .jpeg files; give a photo or a folder of them");
            }
            if (found.size() > MAX_IMAGES) {
                throw FiltervisException.usage("folder " + given + " has more than " + MAX_IMAGES + " photos; split it");
            }
            return found;
        }
        if (!Files.exists(given)) {
            throw FiltervisException.usage("image " + given + " does not exist; give a PNG or JPEG file or a folder of them");
        }
        return List.of(given);
    }

    private Map<String, Object> record(Session v, Attributor a, Attributor.Head head, InputRange range, int size, List<Method> methods,
            Attributor.Settings s) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", ModelFiles.describe(options.model == null ? modelFile() : options.model));
        r.put("backend", v.provider().name());
        r.put("backend_version", v.provider().version());
        r.put("threads", options.threads);
        r.put("precision", options.precision);
        r.put("layer", a.layer());
        int[] shape = a.layerShape();
        r.put("layer_shape", List.of(shape[0], shape[1], shape[2]));
        r.put("scores", head.tensor());
        r.put("scores_are_probabilities", head.probabilities());
        r.put("preprocessing", range.describe());
        r.put("size", size);
        r.put("methods", methods.stream().map(Method::cliName).toList());
        if (methods.contains(Method.SMOOTHGRAD) || methods.contains(Method.INTEGRATED_GRADIENTS)) {
            r.put("seed", s.seed());
        }
        r.put("filtervis_version", Filtervis.version());
        return r;
    }
}
