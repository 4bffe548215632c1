package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.filtervis.core.io.Npy;
import org.filtervis.models.ModelFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * explain on the embedded demo network (a small classifier: Gabor layer, two convolutions, 10
 * logits) with two photos the test draws (a PNG and a JPEG): every method's files, the same bytes
 * twice, the three backends' maps alike, the page in headless Chromium, and bad input refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExplainCliTest {
    @TempDir
    static Path dir;

    Path photos;
    Path model;
    Cli first;

    @BeforeAll
    void run() throws IOException {
        photos = Files.createDirectories(dir.resolve("photos"));
        ImageIO.write(drawn(96, 80, 0), "png", photos.resolve("stripes.png").toFile());
        ImageIO.write(drawn(70, 90, 1), "jpg", photos.resolve("disc.jpg").toFile());
        Files.writeString(photos.resolve("notes.txt"), "not a photo: skipped in a folder");
        model = ModelFiles.demoNetwork();
        first = explain("onnx", dir.resolve("a"), "--method", "all", "--top", "2", "--samples", "4", "--ig-steps", "16", "--evaluate", "all",
                "--eval-samples", "4");
    }

    /**
     * Oriented stripes with a red patch, or a blue disc on grey, with seeded grain: flat regions would
     * tie max-pool windows and put ReLUs at exactly 0, where the gradient is a convention, not a value.
     */
    static BufferedImage drawn(int w, int h, int kind) {
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.SplittableRandom grain = new java.util.SplittableRandom(kind);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v;
                if (kind == 0) {
                    int s = (int) (127 + 120 * Math.sin((x + 0.5 * y) * 0.6));
                    v = x > w / 2 && y > h / 2 ? 0xd02020 : s << 16 | s << 8 | s;
                } else {
                    double r = Math.hypot(x - w / 2.0, y - h / 2.0);
                    v = r < 25 ? 0x2040e0 : 0x808080;
                }
                int r = Math.min(255, Math.max(0, (v >> 16 & 0xff) + grain.nextInt(-20, 21)));
                int g = Math.min(255, Math.max(0, (v >> 8 & 0xff) + grain.nextInt(-20, 21)));
                int bl = Math.min(255, Math.max(0, (v & 0xff) + grain.nextInt(-20, 21)));
                b.setRGB(x, y, r << 16 | g << 8 | bl);
            }
        }
        return b;
    }

    Cli explain(String backend, Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("explain", "--backend", backend, "--model", model.toString(), "--image",
                photos.toString(), "--size", "48", "--out", out.toString(), "--quiet"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void writesEveryMethodsFilesForEachPhotoAndClass() throws IOException {
        assertEquals(0, first.code(), first.err());
        Path out = dir.resolve("a");
        assertTrue(Files.isRegularFile(out.resolve("index.html")));
        for (String photo : List.of("stripes", "disc")) {
            Path p = out.resolve(photo);
            String json = Files.readString(p.resolve("explain.json"));
            assertTrue(json.contains("\"layer\": \"conv3_relu\"") && json.contains("\"scores\": \"logits\""), json);
            assertTrue(Files.isRegularFile(p.resolve("photo.png")));
            long overlays;
            try (Stream<Path> s = Files.list(p)) {
                overlays = s.filter(f -> f.getFileName().toString().endsWith("_overlay.png")).count();
            }
            assertEquals(24, overlays, "12 methods x 2 classes");
            // --evaluate all: every metric of every map, the curves starting at the photo's probability and falling.
            assertEquals(24, json.split("\"metrics\": \\{").length - 1, json);
            for (String key : List.of("deletion_auc", "deletion_curve", "insertion_auc", "insertion_curve", "mufidelity", "road_morf", "road_lerf",
                "road", "sensitivity_max")) {
                assertEquals(24, json.split("\"" + key + "\": ").length - 1, key);
            }
            Matcher curve = Pattern.compile("\"deletion_curve\": \\[([^\\]]*)\\]").matcher(json);
            assertTrue(curve.find());
            double[] c = java.util.Arrays.stream(curve.group(1).split(",")).mapToDouble(v -> Double.parseDouble(v.strip())).toArray();
            assertEquals(11, c.length);
            assertTrue(c[0] > 0 && c[0] != c[10], "the photo's probability, then a change: " + curve.group(1));
            for (String m : List.of("gradcam", "gradcampp", "hirescam", "layercam", "scorecam")) {
                assertTrue(json.contains("\"" + m.replace("pp", "++") + "\""), m);
            }
            String k = json.replaceAll("(?s).*\"explanations\": \\[\\s*\\{\\s*\"class\": (\\d+).*", "$1");
            Npy.Array cam = Npy.read(p.resolve(k + "_gradcam.npy"));
            assertArrayEquals(new long[] {12, 12}, cam.shape(), "conv3_relu at 48 px is 12 x 12");
            assertArrayEquals(new long[] {48, 48}, Npy.read(p.resolve(k + "_gradcam_upsampled.npy")).shape());
            assertArrayEquals(new long[] {48, 48}, Npy.read(p.resolve(k + "_saliency.npy")).shape());
            assertTrue(max(Npy.read(p.resolve(k + "_saliency.npy")).data()) > 0, "saliency is not zero");
            assertTrue(json.contains("\"completeness_error\""));
        }
    }

    @Test
    void sameBytesEveryRun() throws IOException {
        Cli again = explain("onnx", dir.resolve("b"), "--method", "all", "--top", "2", "--samples", "4", "--steps", "16", // the old name of --ig-steps: the same bytes
                "--evaluate", "all", "--eval-samples", "4");
        assertEquals(0, again.code(), again.err());
        try (Stream<Path> s = Files.walk(dir.resolve("a"))) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Path other = dir.resolve("b").resolve(dir.resolve("a").relativize(f));
                if (f.getFileName().toString().equals("explain.json")) {
                    // It names the output folder; its metrics are the same numbers.
                    Matcher a = Pattern.compile("\"metrics\": \\{[^}]*\\}").matcher(Files.readString(f));
                    Matcher b = Pattern.compile("\"metrics\": \\{[^}]*\\}").matcher(Files.readString(other));
                    int n = 0;
                    while (a.find()) {
                        assertTrue(b.find());
                        assertEquals(a.group(), b.group());
                        n++;
                    }
                    assertEquals(24, n);
                    continue;
                }
                if (f.getFileName().toString().equals("index.html")) {
                    continue; // it names the output folder
                }
                assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(other), f.toString());
            }
        }
    }

    @Test
    void backendsGiveTheSameMaps() throws IOException {
        for (String backend : List.of("tf", "djl")) {
            Path out = dir.resolve(backend);
            Cli r = explain(backend, out, "--method", "gradcam,hirescam,saliency,integrated-gradients", "--class", "3", "--ig-steps", "16",
                    "--path-rule", "uniform");
            assertEquals(0, r.code(), r.err());
            for (String photo : List.of("stripes", "disc")) {
                for (String m : List.of("gradcam", "hirescam", "saliency", "integrated-gradients")) {
                    float[] mine = Npy.read(out.resolve(photo).resolve("3_" + m + ".npy")).data();
                    float[] onnx = onnxMap(photo, m);
                    double d = Cli.relativeL2(mine, onnx);
                    assertTrue(d < 1e-3, backend + " " + photo + " " + m + ": " + d + " from onnx");
                }
            }
        }
    }

    /** The Spearman correlations of each map in an explain.json's randomisation results, in order. */
    static List<List<Double>> rhos(Path json) throws IOException {
        List<List<Double>> out = new java.util.ArrayList<>();
        Matcher block = Pattern.compile("\"randomization\": \\[(.*?)\\]\\s*,", Pattern.DOTALL).matcher(Files.readString(json));
        while (block.find()) {
            List<Double> rho = new java.util.ArrayList<>();
            Matcher v = Pattern.compile("\"spearman\": ([-0-9.eE+]+)").matcher(block.group(1));
            while (v.find()) {
                rho.add(Double.parseDouble(v.group(1)));
            }
            out.add(rho);
        }
        return out;
    }

    /**
     * The randomisation test's copies are re-drawn in the graph, so every backend sees the same
     * weights: TensorFlow's and DJL's correlations equal ONNX Runtime's; the copies' maps differ from
     * the trained model's; the same numbers on a rerun.
     */
    @Test
    void randomizationGivesTheSameCorrelationsOnEveryBackend() throws IOException {
        List<List<Double>> onnx = null;
        for (String backend : List.of("onnx", "tf", "djl", "onnx")) {
            Path out = dir.resolve("rnd-" + backend + (onnx == null ? "" : "-again"));
            Cli r = explain(backend, out, "--method", "gradcam,saliency", "--class", "3", "--evaluate", "randomization");
            assertEquals(0, r.code(), r.err());
            List<List<Double>> rho = rhos(out.resolve("disc").resolve("explain.json"));
            assertEquals(2, rho.size(), "gradcam and saliency");
            assertTrue(rho.get(0).size() >= 3, "a level per block of the demo network: " + rho);
            if (onnx == null) {
                onnx = rho;
                for (List<Double> m : rho) {
                    assertTrue(m.get(m.size() - 1) < 0.999, "every layer re-drawn moves the map: " + m);
                }
                continue;
            }
            for (int i = 0; i < rho.size(); i++) {
                for (int l = 0; l < rho.get(i).size(); l++) {
                    assertEquals(onnx.get(i).get(l), rho.get(i).get(l), 1e-3, backend + ": " + rho + " against onnx " + onnx);
                }
            }
        }
    }

    private float[] onnxMap(String photo, String m) throws IOException {
        Path out = dir.resolve("onnx-class3");
        if (!Files.exists(out)) {
            Cli r = explain("onnx", out, "--method", "gradcam,hirescam,saliency,integrated-gradients", "--class", "3", "--ig-steps", "16",
                    "--path-rule", "uniform");
            assertEquals(0, r.code(), r.err());
        }
        return Npy.read(out.resolve(photo).resolve("3_" + m + ".npy")).data();
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws IOException {
        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(broken.resolve("fake.png"), "this is text, not a PNG");
        String[][] cases = {
            {"--image", broken.resolve("fake.png").toString()},
            {"--class", "10"},
            {"--layer", "logits"},
            {"--layer", "nosuchlayer"},
            {"--method", "gradcam,magic"},
            {"--image", dir.resolve("missing.png").toString()},
            {"--class", "1", "--top", "2"},
            {"--baseline", "grey", "--method", "integrated-gradients"},
            {"--evaluate", "deletion,faith"},
            {"--evaluate", "deletion", "--eval-steps", "0"},
            {"--evaluate", "road", "--eval-baseline", "grey"},
        };
        String[] expected = {"cannot decode image", "class 10 is out of range: the model has classes 0 to 9", "has no spatial axes",
            "nosuchlayer", "unknown method 'magic'", "does not exist", "give --class or --top, not both", "--baseline grey is not black, blur or noise",
            "--evaluate names 'faith'", "--eval-steps 0 is out of range", "--eval-baseline grey is not zero, blur or mean"};
        for (int i = 0; i < cases.length; i++) {
            Path out = dir.resolve("bad" + i);
            List<String> args = new java.util.ArrayList<>(List.of("explain", "--model", model.toString(), "--size", "48", "--out", out.toString()));
            if (!cases[i][0].equals("--image")) {
                args.addAll(List.of("--image", photos.toString()));
            }
            args.addAll(List.of(cases[i]));
            Cli r = Cli.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", cases[i]) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().filter(l -> l.startsWith("filtervis: ") && !l.contains("note:")).count(), r.err());
            assertTrue(r.err().contains(expected[i]), r.err());
            assertFalse(r.err().contains("at org."), "no stack trace: " + r.err());
            assertFalse(Files.exists(out), "nothing written for " + String.join(" ", cases[i]));
        }
    }

    @Test
    void pageLoadsEveryImageInHeadlessChromium() throws Exception {
        String chromium = System.getProperty("filtervis.chromium", "");
        assumeTrue(!chromium.isEmpty(), "set -Dfiltervis.chromium=/usr/bin/chromium (as .ci/run does) to render the page");
        assertEquals(0, first.code(), first.err());
        List<String> flags = List.of("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--allow-file-access-from-files", "--virtual-time-budget=5000",
                "--user-data-dir=" + dir.resolve("chromium-profile"));
        String dom = CompareTest.chromium(chromium, flags, "--dump-dom", dir.resolve("a").resolve("index.html").toUri().toString());
        // 2 photos x 2 classes: a photo and 12 overlays per row, and a table of metrics under each.
        assertEquals(4, dom.split("<table class=\"eval\">").length - 1, "a metrics table per photo and class");
        assertTrue(dom.contains(" best\"") && dom.contains("<polyline"), "the best of each column marked, the curves drawn");
        assertTrue(dom.contains("data-loaded=\"52\"") && dom.contains("data-failed=\"0\""), dom.substring(0, Math.min(400, dom.length())));
        assertEquals(5, dom.split("<tr class=\"row\"").length, "four rows");
        assertTrue(dom.contains("<th>integrated-gradients</th>") && dom.contains("<th>gradcam++</th>"));
    }

    private static float max(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, x);
        }
        return m;
    }
}
