package org.filtervis.core.explain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.io.IoMessages;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.RunChoices;
import org.filtervis.core.Session;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.core.photos.Photos;

/**
 * One explain run, as settings checked when made: the photos, the methods, which classes, the
 * model's pixel range, the layer of the class activation maps and where the maps go. {@link #run}
 * makes the remaining choices (network size 224 unless the model fixes one, the head, the default
 * layer, the classes against the labels) the same way for the command line and a Java caller.
 *
 * @param image     a photo, or a folder of them (its PNG and JPEG files, not its sub-folders)
 * @param layer     the layer of the class activation maps, or null for the last spatial one before the head
 * @param classes   classes by index or label, or empty for each photo's top {@code top}
 * @param top       how many of each photo's highest-scoring classes, without {@code classes}
 * @param methods   the methods
 * @param labels    the class names (the user's or the model's), or null
 * @param range     the model's pixel range, or null for 0:1 with a note (the model records none)
 * @param settings  SmoothGrad's and Integrated Gradients' numbers and the seed
 * @param size      the image side asked for, or null
 * @param out       the output folder
 * @param model     how the record names the model
 * @param version   filtervis's version, for the record
 * @param evaluation the metrics to compute for every map (none: {@link Evaluation.Settings#none()})
 * @param copies    writes the model's randomised copies for the randomisation test (null: the test is refused)
 */
public record ExplainJob(Path image, String layer, List<String> classes, int top, List<Method> methods, List<String> labels, InputRange range,
        Attributor.Settings settings, Integer size, Path out, String model, String version, Evaluation.Settings evaluation,
        Randomization.Copies copies) {
    /** At most this many photos in one run. */
    public static final int MAX_IMAGES = 10_000;
    /** The network size when the model does not fix one. */
    public static final int DEFAULT_SIZE = 224;

    public ExplainJob {
        if (out == null || out.toString().isEmpty()) {
            throw FiltervisException.usage("the output folder is empty; name one");
        }
        if (!classes.isEmpty() && top != 1) {
            throw FiltervisException.usage("give classes or a number of top classes, not both");
        }
        if (top < 1) {
            throw FiltervisException.usage("top classes " + top + " must be 1 or more");
        }
        if (!(settings.steps() >= 1)) {
            throw FiltervisException.usage("integrated-gradients steps " + settings.steps() + " must be 1 or more");
        }
        classes = List.copyOf(classes);
        methods = List.copyOf(methods);
    }

    /** Explains every photo and writes the maps and the page; notes (a default taken) go to {@code notes}. */
    public List<ExplainRun.Explained> run(Session session, Consumer<String> notes, ExplainRun.Listener listener) {
        List<Path> files = photos(image);
        Model model = session.model();
        if (model.input().channels() != 3) {
            throw FiltervisException.usage("the model takes " + model.input().channels() + " channels; explain reads RGB photos (3 channels)");
        }
        int px = RunChoices.networkSize(Recipe.keras(), size, model.input(), DEFAULT_SIZE);
        List<LayerInfo> layers = session.layers(px, px);
        Attributor.Head head = Attributor.head(layers);
        if (labels != null && labels.size() != head.classes()) {
            throw FiltervisException.usage("the labels have " + labels.size() + " names; the model has " + head.classes() + " classes");
        }
        List<Integer> given = classIndices(head.classes());
        if (classes.isEmpty() && top > head.classes()) {
            throw FiltervisException.usage("top classes " + top + " is more than the model's " + head.classes() + " classes; give at most " + head.classes());
        }
        InputRange chosenRange = range;
        if (chosenRange == null) {
            notes.accept("the model records no input range; photos go in as 0:1 (give the model's preprocessing or input range)");
            chosenRange = InputRange.UNIT;
        }
        String chosenLayer = layer != null ? layer : Attributor.defaultLayer(layers, head);
        try (Attributor attributor = Attributor.open(model, chosenLayer, head, chosenRange, px)) {
            if (head.note() != null) {
                notes.accept(head.note());
            }
            Map<String, Object> record = record(session, attributor, head, chosenRange, px);
            // Every photo is checked before anything is written; then one at a time, so memory does not grow with the folder.
            if (!evaluation.metrics().isEmpty()) {
                Map<String, Object> e = new java.util.LinkedHashMap<>();
                e.put("metrics", evaluation.metrics().stream().map(Evaluation.Metric::word).toList());
                e.put("steps", evaluation.steps());
                e.put("baseline", evaluation.baseline());
                e.put("samples", evaluation.samples());
                e.put("seed", evaluation.seed());
                record.put("evaluation", e);
            }
            if (!evaluation.metrics().contains(Evaluation.Metric.RANDOMIZATION)) {
                return ExplainRun.run(attributor, files, px, methods, new ExplainRun.Classes(given, top), settings, evaluation, null, listener, out, labels,
                        record);
            }
            if (copies == null) {
                throw FiltervisException.usage("--evaluate randomization needs the model's graph rewritten, which this build cannot do; leave it out");
            }
            List<String> blocks = layers.stream().filter(LayerInfo::suggested).map(LayerInfo::name).toList();
            try (Randomization rnd = Randomization.prepare(copies, session.settings().model(), blocks, evaluation.seed(), session::open, attributor::on)) {
                record.put("randomization_levels", rnd.levels().stream().map(Randomization.Level::layersRandomized).toList());
                record.put("randomization_layers", rnd.levels().get(rnd.levels().size() - 1).layersTotal());
                return ExplainRun.run(attributor, files, px, methods, new ExplainRun.Classes(given, top), settings, evaluation, rnd, listener, out, labels,
                        record);
            }
        }
    }

    /** The photo, or the PNG and JPEG files of a folder (not its sub-folders), by name; at most {@link #MAX_IMAGES}. */
    public static List<Path> photos(Path given) {
        return Photos.files(given, MAX_IMAGES);
    }

    /** The classes as indices: numbers, or names from the labels. */
    private List<Integer> classIndices(int count) {
        List<Integer> out = new ArrayList<>();
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
                k = labels == null ? -1 : labels.indexOf(t);
                if (k < 0) {
                    throw FiltervisException.usage("class '" + t + "' is not a class number" + (labels == null ? " and the model has no labels"
                            : " or one of the model's labels: " + String.join(", ", labels.subList(0, Math.min(10, labels.size())))
                            + (labels.size() > 10 ? ", ..." : "")));
                }
            }
            if (!out.contains(k)) {
                out.add(k);
            }
        }
        return out;
    }

    private Map<String, Object> record(Session s, Attributor a, Attributor.Head head, InputRange chosenRange, int px) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("backend", s.provider().name());
        r.put("backend_version", s.provider().version());
        r.put("threads", s.settings().options().threads());
        r.put("precision", s.settings().options().precision());
        r.put("layer", a.layer());
        int[] shape = a.layerShape();
        r.put("layer_shape", List.of(shape[0], shape[1], shape[2]));
        r.put("scores", head.tensor());
        r.put("scores_are_probabilities", head.probabilities());
        r.put("preprocessing", chosenRange.describe());
        r.put("size", px);
        r.put("methods", methods.stream().map(Method::cliName).toList());
        if (methods.contains(Method.SMOOTHGRAD) || methods.contains(Method.INTEGRATED_GRADIENTS)) {
            r.put("seed", settings.seed());
        }
        r.put("filtervis_version", version);
        return r;
    }
}
