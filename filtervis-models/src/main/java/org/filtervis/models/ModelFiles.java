package org.filtervis.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.io.AtomicFiles;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.keras.KerasImporter;
import org.filtervis.graph.keras.TfjsModel;

/**
 * The model-reading step of the library: from what a user names (a model file, a Keras model in
 * TF.js layers format or {@code .h5}, or nothing) to the file a backend opens. Keras models are
 * imported to ONNX once and cached in the temporary folder by content; with no model, the
 * pretrained InceptionV3 that {@code tools/demo-models.sh} converts into the models folder
 * ({@code -Dfiltervis.models}, set by the launcher), visualized at {@code mixed4}, or else the
 * embedded demo network.
 */
public final class ModelFiles {
    private ModelFiles() {}

    /** A default model and the layer and filters to show from it (filters null: all of the layer's). */
    public record Demo(Path model, String layer, String filters, int redirectSteps) {}

    /** The default model. */
    public static Demo demo() {
        String models = System.getProperty("filtervis.models");
        if (models != null) {
            Path inception = Path.of(models, "inception_v3.onnx");
            if (Files.isRegularFile(inception)) {
                return new Demo(inception, "mixed4", "0-15", 10);
            }
        }
        return new Demo(demoNetwork(), DemoNetwork.FIRST_LAYER, null, 0);
    }

    /** The embedded demo network as a file. */
    public static Path demoNetwork() {
        return cached("demo", OnnxFormat.write(DemoNetwork.build()));
    }

    /**
     * The file to open for {@code model}: the default demo when null; a Keras model (TF.js layers
     * folder or {@code model.json}, {@code .h5}) imported to ONNX; any other path as it is. A Keras
     * file is untrusted input: whatever in it the importer trips over is one failure naming the file.
     */
    public static Path resolve(Path model) {
        if (model == null) {
            return demo().model();
        }
        checkKind(model);
        try {
            if (KerasH5.isH5(model)) {
                return imported(KerasH5.read(model));
            }
            if (TfjsModel.isTfjs(model)) {
                return imported(TfjsModel.read(model));
            }
        } catch (FiltervisException e) {
            // Name the file where the importer's message does not.
            throw e.usage() || e.getMessage().contains(model.toString()) ? e : FiltervisException.failure(model + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            String why = e instanceof IllegalArgumentException && e.getMessage() != null ? e.getMessage() : "a field is missing or has the wrong type";
            throw FiltervisException.failure(model + " is not a Keras model filtervis can read (" + why + "); is the file damaged?", e);
        }
        return model;
    }

    /**
     * A model is a regular file or a folder with something in it: a device or FIFO would be read
     * for ever or block, an empty folder holds no model. Said in content words (exit 1); a path
     * that does not exist is a usage error.
     */
    static void checkKind(Path model) {
        if (!Files.exists(model)) {
            throw FiltervisException.usage("model file not found: " + model);
        }
        if (Files.isDirectory(model)) {
            try (java.util.stream.Stream<Path> s = Files.list(model)) {
                if (s.findAny().isEmpty()) {
                    throw FiltervisException.failure("model folder " + model + " is empty; give a model file (.onnx, .h5, .pt, .pb) or a"
                            + " SavedModel or TF.js folder");
                }
            } catch (java.io.IOException e) {
                throw FiltervisException.failure("cannot list model folder " + model + " (" + org.filtervis.core.io.IoMessages.describe(e) + ")");
            }
        } else if (!Files.isRegularFile(model)) {
            throw FiltervisException.failure("model " + model + " is not a regular file (a device, FIFO or socket); give a model file or folder");
        }
    }

    /** ONNX metadata keys under which a converted model records what its pixels should be. */
    public static final String RANGE_KEY = "filtervis.input_range";
    public static final String MEAN_KEY = "filtervis.input_mean";
    public static final String STD_KEY = "filtervis.input_std";

    /**
     * The input range an ONNX model records ({@code filtervis convert --input-range} writes it; the
     * demo's InceptionV3 has -1:1, its MobileNetV2 0:1), or empty for other models and formats.
     */
    public static Optional<InputRange> inputRange(Path model) {
        if (!model.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") || !Files.isRegularFile(model)) {
            return Optional.empty();
        }
        Map<String, String> meta = OnnxFormat.read(model).metadata;
        String range = meta.get(RANGE_KEY);
        if (range == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InputRange.parse(range, numbers(meta.get(MEAN_KEY)), numbers(meta.get(STD_KEY))));
        } catch (FiltervisException e) {
            throw FiltervisException.failure(model + " records an input range filtervis cannot use (" + e.getMessage() + "); give --input-range");
        }
    }

    /** ONNX metadata key under which a converted model records its class names, one per line. */
    public static final String LABELS_KEY = "filtervis.labels";

    /** The pretrained classifier of the demo (nsfwjs's MobileNetV2), when tools/demo-models.sh has fetched it. */
    public static Optional<Path> demoClassifier() {
        String models = System.getProperty("filtervis.models");
        Path p = models == null ? null : Path.of(models, "mobilenet_v2.onnx");
        return p != null && Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** The class names an ONNX model records ({@code filtervis convert --labels} writes them), or empty. */
    public static Optional<java.util.List<String>> labels(Path model) {
        if (!model.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") || !Files.isRegularFile(model)) {
            return Optional.empty();
        }
        String text = OnnxFormat.read(model).metadata.get(LABELS_KEY);
        return text == null ? Optional.empty() : Optional.of(java.util.List.of(text.split("\n", -1)));
    }

    /**
     * Class names from a text file, one per line (blank lines at the end ignored), at most 100,000
     * lines of 1,000 characters.
     */
    public static java.util.List<String> readLabels(Path file) {
        byte[] bytes = org.filtervis.core.io.UntrustedFiles.read(file, "labels file", 100_000_000L);
        java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of(
                new String(bytes, java.nio.charset.StandardCharsets.UTF_8).split("\\r?\\n", -1)));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        if (lines.isEmpty() || lines.size() > 100_000 || lines.stream().anyMatch(l -> l.length() > 1000)) {
            throw FiltervisException.usage("labels file " + file + " has " + lines.size() + " lines; give one class name per line (at most 100000, each under 1000 characters)");
        }
        return java.util.List.copyOf(lines.stream().map(String::strip).toList());
    }

    /** Writes {@code range} into a model's metadata, as {@link #inputRange} reads it. */
    public static void recordInputRange(OnnxModel m, InputRange range) {
        m.metadata.put(RANGE_KEY, fmt(range.lo()) + ":" + fmt(range.hi()));
        if (range.mean().length > 0) {
            m.metadata.put(MEAN_KEY, join(range.mean()));
        }
        if (range.std().length > 0) {
            m.metadata.put(STD_KEY, join(range.std()));
        }
    }

    private static double[] numbers(String list) {
        if (list == null) {
            return null;
        }
        try {
            return java.util.Arrays.stream(list.split(",")).mapToDouble(t -> Double.parseDouble(t.strip())).toArray();
        } catch (NumberFormatException e) {
            throw FiltervisException.usage("'" + list + "' is not a list of numbers");
        }
    }

    private static String join(double[] v) {
        return java.util.Arrays.stream(v).mapToObj(ModelFiles::fmt).collect(java.util.stream.Collectors.joining(","));
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** The Keras model (TF.js layers or {@code .h5}) at {@code model}, read but not converted. */
    public static TfjsModel readKeras(Path model) {
        return KerasH5.isH5(model) ? KerasH5.read(model) : TfjsModel.read(model);
    }

    /** The model that runs, for run records: the file given, the pretrained demo's file, or the generated demo network. */
    public static String describe(Path given) {
        if (given != null) {
            return given.toString();
        }
        Demo demo = demo();
        return demo.layer().equals(DemoNetwork.FIRST_LAYER) ? "embedded demo network (generated, " + demo.model() + ")" : demo.model().toString();
    }

    /** A Keras model imported to ONNX, cached in the temporary folder by content. */
    static Path imported(TfjsModel keras) {
        return cached("keras", OnnxFormat.write(KerasImporter.toOnnx(keras)));
    }

    private static Path cached(String kind, byte[] bytes) {
        String tag;
        try {
            tag = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes), 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "filtervis-" + kind + "-" + tag + ".onnx");
        try {
            if (!Files.isRegularFile(file) || Files.size(file) != bytes.length) {
                AtomicFiles.write(file, out -> out.write(bytes));
            }
        } catch (IOException e) {
            throw FiltervisException.failure("cannot write the " + kind + " model to " + file + ": " + e.getMessage());
        }
        return file;
    }
}
