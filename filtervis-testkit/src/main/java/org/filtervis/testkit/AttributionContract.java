package org.filtervis.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.core.io.Npy;
import org.filtervis.core.explain.Attributor;
import org.filtervis.core.explain.Evaluation;
import org.filtervis.core.explain.Faithfulness;
import org.filtervis.core.explain.Method;
import org.filtervis.core.explain.Randomization;
import org.filtervis.models.RandomizedCopies;
import org.filtervis.core.lucid.InputRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Contract: explain's maps against PyTorch float64 autograd (tools/attribution_references.py, an
 * independent implementation of the same definitions) on random-weight torchvision resnet18 and
 * mobilenet_v2, at an input where float32 rounding flips no ReLU that matters. Each map within
 * 1e-3 relative L2; Integrated Gradients complete within 1%; re-drawing the classifier changes the
 * map (Adebayo et al. 2018); every map repeats to the byte. Skipped without -Dfiltervis.realModels.
 */
public abstract class AttributionContract {
    protected abstract ModelBackend backend();

    static final List<Method> COMPARED = List.of(Method.GRADCAM, Method.GRADCAM_PP, Method.HIRESCAM, Method.LAYERCAM, Method.XGRADCAM,
            Method.EIGENCAM, Method.EIGENGRADCAM, Method.SCORECAM, Method.ABLATIONCAM,
            Method.SALIENCY, Method.INTEGRATED_GRADIENTS);

    static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\"[^\"]*\"|[-0-9.eE+]+)").matcher(json);
        assertTrue(m.find(), key);
        return m.group(1).replace("\"", "");
    }

    static double relL2(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    static double norm(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /** One reference case: its record, layer, class, size and input. */
    record Case(Path dir, String json, String layer, int k, int size, float[] x) {
        static Case of(String name) throws IOException {
            Path dir = RealModelContract.dir();
            String json = Files.readString(dir.resolve("attr_" + name + ".json"));
            return new Case(dir, json, field(json, "layer"), Integer.parseInt(field(json, "class")), Integer.parseInt(field(json, "size")),
                    Npy.read(dir.resolve("attr_" + name + "_x.npy")).data());
        }
    }

    /** A list of numbers in a flat JSON object's entry for {@code method}. */
    static double[] numbers(String json, String method, String key) {
        int at = json.indexOf("\"" + method + "\": {");
        assertTrue(at >= 0, method);
        Matcher m = Pattern.compile("\"" + key + "\": (\\[[^\\]]*\\]|[-0-9.eE+]+)").matcher(json);
        assertTrue(m.find(at), method + " " + key);
        return java.util.Arrays.stream(m.group(1).replace("[", "").replace("]", "").split(",")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
    }

    static void close(double[] expected, double[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relative * Math.max(Math.abs(expected[i]), 1e-3), what + " [" + i + "]: " + java.util.Arrays.toString(actual));
        }
    }

    /**
     * The faithfulness metrics against the same script's float64 implementation, given its maps (at
     * the input's resolution) and its random draws: deletion and insertion curves and areas (zero
     * and blurred baselines) within 1e-4 relative, MuFidelity and ROAD within 1e-3; each metric
     * batched (a curve of 11 scores in one backend call).
     */
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2"})
    public void metricsEqualPyTorch(String name) throws IOException {
        Case c = Case.of(name);
        Path dir = c.dir();
        String json = Files.readString(dir.resolve("attr_" + name + "_metrics.json"));
        int[][] subsets;
        {
            Npy.Array s = Npy.read(dir.resolve("attr_" + name + "_draws_subsets.npy"));
            float[] flat = s.data();
            int per = (int) s.shape()[1];
            subsets = new int[(int) s.shape()[0]][per];
            for (int i = 0; i < subsets.length; i++) {
                for (int j = 0; j < per; j++) {
                    subsets[i][j] = Math.round(flat[i * per + j]);
                }
            }
        }
        Npy.Array n = Npy.read(dir.resolve("attr_" + name + "_draws_normals.npy"));
        float[][] normals = new float[(int) n.shape()[0]][];
        for (int i = 0; i < normals.length; i++) {
            normals[i] = java.util.Arrays.copyOfRange(n.data(), i * (int) n.shape()[1], (i + 1) * (int) n.shape()[1]);
        }
        try (Model model = backend().open(dir.resolve("attr_" + name + ".onnx"))) {
            Attributor.Head head = Attributor.head(model.layers(c.size(), c.size()));
            try (Attributor a = Attributor.open(model, c.layer(), head, InputRange.UNIT, c.size())) {
                int[] calls = {0};
                Faithfulness.Scorer counted = (images, count) -> {
                    calls[0]++;
                    return a.scorer(c.k()).scores(images, count);
                };
                float[] x = c.x();
                for (String method : List.of("gradcam", "saliency", "integrated-gradients")) {
                    float[] map = Npy.read(dir.resolve("attr_" + name + "_" + method + "_input.npy")).data();
                    for (String baseline : List.of("zero", "blur")) {
                        float[] b = Evaluation.baseline(baseline, x, c.size());
                        String suffix = baseline.equals("zero") ? "" : "_blur";
                        for (boolean deletion : new boolean[] {true, false}) {
                            String key = (deletion ? "deletion" : "insertion") + suffix;
                            calls[0] = 0;
                            Faithfulness.Curve curve = Faithfulness.deletionOrInsertion(x, b, map, c.size(), 10, deletion, counted);
                            assertEquals(1, calls[0], "a curve of 11 is one batch");
                            close(numbers(json, method, key + "_curve"), curve.scores(), 1e-4, name + " " + method + " " + key);
                            close(numbers(json, method, key + "_auc"), new double[] {curve.auc()}, 1e-4, name + " " + method + " " + key + " AUC");
                        }
                    }
                    double photo = counted.scores(x, 1)[0];
                    double mu = Faithfulness.muFidelity(x, new float[x.length], map, c.size(), subsets, photo, counted);
                    close(numbers(json, method, "mufidelity"), new double[] {mu}, 1e-3, name + " " + method + " MuFidelity");
                    double[] morf = Faithfulness.road(x, map, c.size(), true, normals, counted);
                    double[] lerf = Faithfulness.road(x, map, c.size(), false, normals, counted);
                    close(numbers(json, method, "road_morf"), morf, 1e-3, name + " " + method + " ROAD MoRF");
                    close(numbers(json, method, "road_lerf"), lerf, 1e-3, name + " " + method + " ROAD LeRF");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2"})
    public void mapsEqualPyTorchAutograd(String name) throws IOException {
        Case c = Case.of(name);
        Path dir = c.dir();
        String json = c.json();
        String layer = c.layer();
        int k = c.k();
        int size = c.size();
        float[] x = c.x();
        Attributor.Settings settings = new Attributor.Settings(1, 0, 64, "black", "uniform", 0);
        try (Model model = backend().open(dir.resolve("attr_" + name + ".onnx"))) {
            Attributor.Head head = Attributor.head(model.layers(size, size));
            assertEquals("logits", head.tensor());
            // The model input is the reference's x itself: the identity range.
            try (Attributor a = Attributor.open(model, layer, head, InputRange.UNIT, size)) {
                for (Method m : COMPARED) {
                    float[] expected = Npy.read(dir.resolve("attr_" + name + "_" + m.fileName() + ".npy")).data();
                    Attributor.Result first = a.explain(m, x, k, settings);
                    double error = relL2(first.map(), expected);
                    // 1e-3, unless float32-sized perturbations move this input's maps further (ReLUs that rounding
                    // flips): then 3 times that. Integrated Gradients' 64 path points were not chosen stable:
                    // bounded by PyTorch's own float32 error there.
                    double sensitivity = Math.max(Double.parseDouble(field(json, "map_change_under_1e-6_noise")),
                            Double.parseDouble(field(json, "pytorch_float32_error")));
                    if (m == Method.INTEGRATED_GRADIENTS) {
                        sensitivity = Math.max(sensitivity, Double.parseDouble(field(json, "ig_float32_error")));
                    }
                    if (m == Method.EIGENCAM || m == Method.EIGENGRADCAM) {
                        // The principal component's own sensitivity, measured apart (the input was not chosen for it).
                        sensitivity = Math.max(Double.parseDouble(field(json, "eigen_change_under_1e-6_noise")),
                                Double.parseDouble(field(json, "eigen_float32_error")));
                    }
                    if (m == Method.ABLATIONCAM) {
                        // Differences of forward passes: bounded as well by PyTorch's own float32 error there.
                        sensitivity = Math.max(sensitivity, Double.parseDouble(field(json, "ablation_float32_error")));
                    }
                    double bound = Math.max(1e-3, 3 * sensitivity);
                    assertTrue(error <= bound, name + " " + m.cliName() + ": relative L2 " + error + " to PyTorch float64 (bound " + bound + ")");
                    assertTrue(norm(first.map()) > 0, name + " " + m.cliName() + " map is zero");
                    assertArrayEquals(first.map(), a.explain(m, x, k, settings).map(), name + " " + m.cliName() + " repeats");
                    if (m == Method.INTEGRATED_GRADIENTS) {
                        // The attributions sum to the rule's own estimate of f(x) - f(b): the bookkeeping is right.
                        double sum = (double) first.details().get("attribution_sum");
                        double estimate = (double) first.details().get("rule_estimate");
                        assertEquals(estimate, sum, 1e-4 * Math.abs(estimate) + 1e-6, name + " attributions sum to the path integral's estimate");
                    }
                }
                // SmoothGrad without noise is saliency; with noise it differs, and repeats.
                Attributor.Result saliency = a.explain(Method.SALIENCY, x, k, settings);
                double same = relL2(a.explain(Method.SMOOTHGRAD, x, k, new Attributor.Settings(3, 0, 64, "black", "uniform", 0)).map(), saliency.map());
                assertTrue(same < 1e-5, "noiseless SmoothGrad (a batch of 3) is saliency (a batch of 1): " + same);
                Attributor.Settings noisy = new Attributor.Settings(8, 0.15, 64, "black", "uniform", 7);
                float[] smooth = a.explain(Method.SMOOTHGRAD, x, k, noisy).map();
                assertTrue(relL2(smooth, saliency.map()) > 0.05, "noise changes the map");
                assertArrayEquals(smooth, a.explain(Method.SMOOTHGRAD, x, k, noisy).map());
            }
        }
    }

    /**
     * Cascading randomisation against the script's float64 run of the same re-drawn graphs (it
     * re-implements RandomizedCopies' stream and blocks, and runs the ONNX graph through its own
     * interpreter on PyTorch): every level's Spearman rho within 1e-3, for Grad-CAM, saliency and
     * Integrated Gradients, and the same number of layers re-drawn.
     */
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2"})
    public void randomizationEqualsPyTorch(String name) throws IOException {
        Case c = Case.of(name);
        String json = Files.readString(c.dir().resolve("attr_" + name + "_randomization.json"));
        Matcher blocks = Pattern.compile("\"block_outputs\": \\[([^\\]]*)\\]").matcher(json);
        assertTrue(blocks.find());
        List<String> blockOutputs = java.util.Arrays.stream(blocks.group(1).split(",")).map(b -> b.strip().replace("\"", "")).toList();
        long seed = Long.parseLong(field(json, "seed"));
        List<Method> methods = List.of(Method.GRADCAM, Method.SALIENCY, Method.INTEGRATED_GRADIENTS);
        Attributor.Settings settings = new Attributor.Settings(1, 0, 64, "black", "uniform", 0);
        try (Model model = backend().open(c.dir().resolve("attr_" + name + ".onnx"))) {
            Attributor.Head head = Attributor.head(model.layers(c.size(), c.size()));
            try (Attributor a = Attributor.open(model, c.layer(), head, InputRange.UNIT, c.size());
                    Randomization r = Randomization.prepare(new RandomizedCopies(), c.dir().resolve("attr_" + name + ".onnx"), blockOutputs, seed,
                            backend()::open, a::on)) {
                List<Randomization.Trained> trained = methods.stream().map(m -> new Randomization.Trained(m, c.k(), a.explain(m, c.x(), c.k(), settings).map()))
                        .toList();
                List<List<java.util.Map<String, Object>>> result = r.evaluate(trained, c.x(), settings);
                assertEquals(Integer.parseInt(field(json, "layers_total")), r.levels().get(r.levels().size() - 1).layersTotal(), name + " layers in all");
                Matcher level = Pattern.compile("\\{[^{}]*\"layers_randomized\": (\\d+)[^{}]*\\}").matcher(json);
                int i = 0;
                while (level.find()) {
                    String entry = level.group();
                    for (int j = 0; j < methods.size(); j++) {
                        java.util.Map<String, Object> ours = result.get(j).get(i);
                        assertEquals(Integer.parseInt(level.group(1)), ours.get("layers_randomized"), name + " level " + i);
                        double expected = Double.parseDouble(field(entry, methods.get(j).cliName()));
                        assertEquals(expected, (double) ours.get("spearman"), 1e-3, name + " " + methods.get(j).cliName() + " level " + i);
                    }
                    i++;
                }
                assertEquals(r.levels().size(), i, name + " levels");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2"})
    public void ablationRefusesALayerASkipConnectionGoesAround(String name) throws IOException {
        Case c = Case.of(name);
        String bypassed = field(c.json(), "bypassed_layer");
        try (Model model = backend().open(c.dir().resolve("attr_" + name + ".onnx"))) {
            Attributor.Head head = Attributor.head(model.layers(c.size(), c.size()));
            try (Attributor a = Attributor.open(model, bypassed, head, InputRange.UNIT, c.size())) {
                FiltervisException e = assertThrows(FiltervisException.class,
                        () -> a.explain(Method.ABLATIONCAM, c.x(), c.k(), Attributor.Settings.defaults()));
                assertTrue(e.usage(), e.getMessage());
                assertTrue(e.getMessage().contains("skip connection") && e.getMessage().contains(bypassed), e.getMessage());
                // The other maps at that layer are still computed.
                assertTrue(norm(a.explain(Method.GRADCAM, c.x(), c.k(), Attributor.Settings.defaults()).map()) > 0);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2"})
    public void randomizedHeadChangesTheMap(String name) throws IOException {
        Case c = Case.of(name);
        Attributor.Settings settings = Attributor.Settings.defaults();
        for (Method m : List.of(Method.GRADCAM, Method.SALIENCY)) {
            float[] trained = map(c.dir().resolve("attr_" + name + ".onnx"), c.layer(), c.size(), c.x(), c.k(), m, settings);
            float[] randomized = map(c.dir().resolve("attr_" + name + "_random_head.onnx"), c.layer(), c.size(), c.x(), c.k(), m, settings);
            double change = relL2(randomized, trained);
            assertTrue(change > 0.2, name + " " + m.cliName() + ": a re-drawn classifier moved the map by only " + change);
        }
    }

    private float[] map(Path file, String layer, int size, float[] x, int k, Method m, Attributor.Settings s) {
        try (Model model = backend().open(file);
                Attributor a = Attributor.open(model, layer, Attributor.head(model.layers(size, size)), InputRange.UNIT, size)) {
            return a.explain(m, x, k, s).map();
        }
    }
}
