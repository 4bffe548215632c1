package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.filtervis.core.io.Npy;
import org.filtervis.models.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The defects of the second hostile-input campaign (issue 24), each as it was found, on the demo
 * network and onnx: the right exit code, one line, and nothing written where the run failed.
 */
class HostileInputTest {
    @TempDir
    Path dir;

    Path out() {
        return dir.resolve("out");
    }

    static Cli run(List<String> args) {
        return Cli.run(args.toArray(String[]::new));
    }

    static List<String> args(String... a) {
        return new ArrayList<>(Arrays.asList(a));
    }

    /** Exit code, one line naming each phrase, and no output folder. */
    void assertRefused(Cli r, int code, String... phrases) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.oneLineError(), "one line, no stack trace: " + r.err());
        assertFalse(r.err().contains("unexpected error"), r.err());
        for (String p : phrases) {
            assertTrue(r.err().contains(p), "'" + p + "' in: " + r.err());
        }
        assertFalse(Files.exists(out()), "nothing written");
    }

    // 1
    @Test
    void everyCommandAnswersHelp() {
        // Every subcommand picocli knows, so a new command is covered without editing this list.
        List<String> commands = new picocli.CommandLine(new Filtervis()).getSubcommands().keySet().stream().filter(c -> !c.equals("help")).toList();
        assertTrue(commands.containsAll(List.of("visualize", "explain", "atlas", "examples", "spectrum")), commands.toString());
        for (String command : commands) {
            for (List<String> a : List.of(List.of(command, "--help"), List.of(command, "-h"), List.of("help", command))) {
                Cli r = run(a);
                assertEquals(0, r.code(), a + ": " + r.err());
                assertTrue(r.out().contains("Usage: filtervis " + command), a + ": " + r.out());
                assertTrue(r.out().contains("--help"), a + " lists its options");
            }
        }
    }

    Path photos() throws IOException {
        Path p = Files.createDirectories(dir.resolve("photos"));
        ImageIO.write(ExplainCliTest.drawn(60, 50, 0), "png", p.resolve("...png").toFile());
        ImageIO.write(ExplainCliTest.drawn(50, 60, 1), "png", p.resolve("index.html.png").toFile());
        return p;
    }

    List<String> explain(Path photos, String... more) {
        List<String> a = args("explain", "--backend", "onnx", "--model", ModelFiles.demoNetwork().toString(), "--image", photos.toString(), "--size",
                "32", "--out", out().toString(), "--quiet");
        a.addAll(List.of(more));
        return a;
    }

    // 3
    @Test
    void photoNamesCannotWriteOutsideTheOutputFolder() throws IOException {
        Path photos = photos();
        Cli r = run(explain(photos));
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> beside = Files.list(dir)) {
            assertEquals(List.of("out", "photos"), beside.map(p -> p.getFileName().toString()).sorted().toList(), "nothing beside --out");
        }
        try (Stream<Path> inside = Files.list(out())) {
            List<Path> folders = inside.filter(Files::isDirectory).toList();
            assertEquals(2, folders.size(), "one folder per photo: " + folders);
            for (Path f : folders) {
                assertTrue(Files.isRegularFile(f.resolve("explain.json")) && Files.isRegularFile(f.resolve("photo.png")), f.toString());
            }
        }
        assertTrue(Files.isRegularFile(out().resolve("index.html")), "index.html is the page, not a photo's folder");
    }

    // 6
    @Test
    void photosAreExplainedOneAtATimeAndOnlyTheirSummariesKept() throws IOException {
        Path many = Files.createDirectories(dir.resolve("many"));
        for (int i = 0; i < 40; i++) {
            java.awt.image.BufferedImage one = new java.awt.image.BufferedImage(1, 1, java.awt.image.BufferedImage.TYPE_INT_RGB);
            one.setRGB(0, 0, 0x102030 * (i + 1));
            ImageIO.write(one, "png", many.resolve(String.format("p%02d.png", i)).toFile());
        }
        Path model = ModelFiles.demoNetwork();
        org.filtervis.core.ascent.Recipe recipe = org.filtervis.core.ascent.Recipe.keras();
        org.filtervis.core.explain.ExplainJob job = new org.filtervis.core.explain.ExplainJob(many, null, List.of(), 1,
                List.of(org.filtervis.core.explain.Method.GRADCAM, org.filtervis.core.explain.Method.SALIENCY), null,
                org.filtervis.core.lucid.InputRange.UNIT, org.filtervis.core.explain.Attributor.Settings.defaults(), 96, out(), "demo", "test",
                org.filtervis.core.explain.Evaluation.Settings.none(), null);
        try (org.filtervis.core.Session s = org.filtervis.core.Session.open(new org.filtervis.core.RunSettings("onnx", model,
                new org.filtervis.api.BackendOptions("cpu", 1), recipe, 1), List.of())) {
            List<org.filtervis.core.explain.ExplainRun.Explained> results = job.run(s, note -> { }, (p, m, k, done, total) -> { });
            assertEquals(40, results.size());
            for (var e : results) {
                assertEquals(0, e.photo().rgb().length, "the photo's pixels are not kept once written");
                assertTrue(e.results().stream().allMatch(r -> r.map().length == 0 && r.upsampled().length == 0), "nor its maps");
                assertTrue(Files.isRegularFile(out().resolve(e.folder()).resolve("0_gradcam.npy")) || Files.list(out().resolve(e.folder()))
                        .anyMatch(f -> f.getFileName().toString().endsWith("_gradcam.npy")), "they are on disk");
            }
        }
        assertTrue(Files.isRegularFile(out().resolve("index.html")));
    }

    // 13, 19, 12
    @Test
    void explainOptionsOutOfRangeAreUsageErrors() throws IOException {
        Path photos = photos();
        assertRefused(run(explain(photos, "--class", "99999999999")), 2, "class 99999999999 is out of range");
        assertRefused(run(explain(photos, "--method", ",")), 2, "no method in ','");
        assertRefused(run(explain(photos, "--top", "100000")), 2, "--top 100000 is more than the model's 10 classes");
        assertRefused(run(explain(photos, "--std", "1e-300,1e-300,1e-300", "--mean", "0,0,0")), 2, "makes inputs as large as");
        assertRefused(run(explain(photos, "--input-range", "-1e30:1e30")), 2, "makes inputs as large as");
    }

    // 7
    @Test
    void devicesAndFifosAreRefusedNotReadForEver() throws Exception {
        Path photos = photos();
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        for (String special : List.of("/dev/zero", fifo.toString())) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                assertRefused(run(explain(photos, "--labels", special)), 2, "labels file " + special + " is not a regular file");
                assertRefused(run(args("gradient", "--layer", "gabor_relu", "--filters", "0", "--input", special, "--output",
                        out().resolve("g.npy").toString())), 2, ".npy file " + special + " is not a regular file");
                assertRefused(run(args("gradient", "--objective", "direction(gabor_relu, " + special + ")", "--filters", "0", "--input", special,
                        "--output", out().resolve("g.npy").toString())), 2, "is not a regular file");
            });
        }
    }

    Path batch() throws IOException {
        float[] x = new float[3 * 16 * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 0.3f;
        }
        Path p = dir.resolve("x.npy");
        Npy.write(p, new long[] {1, 3, 16, 16}, x);
        return p;
    }

    List<String> gradient(String objective) throws IOException {
        return args("gradient", "--objective", objective, "--filters", "0", "--input", batch().toString(), "--output", out().resolve("g.npy").toString());
    }

    // 8, 9
    @Test
    void nonFiniteWeightsAndVectorsAreRefused() throws IOException {
        for (String w : List.of("1e400", "-1e400", "1e308")) {
            String objective = w.startsWith("-") ? "channel(gabor_relu, f) - " + w.substring(1) + " * l2()" : w + " * channel(gabor_relu, f)";
            assertRefused(run(gradient(objective)), 2, "is out of range; use a finite weight");
        }
        assertRefused(run(gradient("1e308 * channel(gabor_relu, f) + 1e308 * channel(gabor_relu, 1)")), 2, "weight 1e308 is out of range");
        assertRefused(run(args("visualize", "--objective", "1e400 * channel(gabor_relu, f)", "--size", "32", "--steps", "1", "--filters", "0",
                "--out", out().toString(), "--quiet")), 2, "weight 1e400");
        String terms = String.join(" + ", java.util.Collections.nCopies(10_000, "channel(gabor_relu, f)"));
        assertRefused(run(gradient(terms)), 2, "more than 256 terms");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] v = new float[12];
            v[3] = bad;
            Path vector = dir.resolve("v" + bad + ".npy");
            Npy.write(vector, new long[] {12}, v);
            assertRefused(run(gradient("direction(gabor_relu, " + vector + ")")), 2, "holds " + bad + " at index 3", "finite numbers");
        }
        // A finite objective still works, and its gradient is not zero.
        List<String> finite = gradient("2 * channel(gabor_relu, f) - 0.5 * l2()");
        finite.set(finite.size() - 1, dir.resolve("g.npy").toString());
        Cli ok = run(finite);
        assertEquals(0, ok.code(), ok.err());
        float[] g = Npy.read(dir.resolve("g.npy")).data();
        assertTrue(Cli.relativeL2(g, new float[g.length]) > 0, "a nonzero gradient");
    }

    // 10
    @Test
    void anNpyShapeThatOverflowsIsCorrupt() throws IOException {
        long huge = (1L << 62) + 12;
        byte[] bytes = FuzzTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + huge + ",), }", 12);
        Path vector = Files.write(dir.resolve("huge.npy"), bytes);
        assertRefused(run(gradient("direction(gabor_relu, " + vector + ")")), 2, "declares shape [" + huge + "]", "corrupt or truncated");
    }

    // 11
    @Test
    void aLongObjectiveMakesShortFileNames() throws IOException {
        String objective = "channel(gabor_relu, f)" + " + 0.001 * channel(gabor_relu, f)".repeat(8) + " - 0.0001 * l2()";
        assertTrue(objective.length() > 255, "longer than a file name may be: " + objective.length());
        Cli r = run(args("visualize", "--objective", objective, "--size", "32", "--steps", "2", "--filters", "0,1", "--out", out().toString(), "--quiet"));
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> files = Files.list(out().resolve("filters"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.stream().allMatch(n -> n.length() < 100 && n.endsWith(".png")), names.toString());
        }
        assertTrue(Files.readString(out().resolve("run.json")).contains("0.0001 * l2()"), "the whole objective is in run.json");
    }

    List<String> compare(String backends, String... more) {
        List<String> a = args("compare", "--backends", backends, "--size", "32", "--steps", "2", "--filters", "0", "--out", out().toString());
        a.addAll(List.of(more));
        return a;
    }

    // 15, 16
    @Test
    void compareRefusesWhatCannotBeComparedBeforeAnyWork() {
        assertRefused(run(compare("onnx,onnx")), 2, "names a backend twice");
        assertRefused(run(compare("onnx")), 2, "names one backend");
        assertRefused(run(compare("onnx,,tf")), 2, "has an empty name");
        assertRefused(run(compare("onnx,nosuch")), 2, "unknown backend 'nosuch'");
        for (String t : List.of("NaN", "2", "-Infinity")) {
            assertRefused(run(compare("onnx,tf", "--tolerance-cosine", t)), 2, "--tolerance-cosine " + t);
        }
        for (String t : List.of("NaN", "-1", "Infinity")) {
            assertRefused(run(compare("onnx,tf", "--tolerance-psnr", t)), 2, "--tolerance-psnr " + t);
        }
    }

    List<String> atlas(String... more) {
        List<String> a = args("atlas", "--backend", "onnx", "--layers", "gabor_relu", "--filters", "0-2", "--size", "24", "--steps", "2", "--out",
                out().toString());
        a.addAll(List.of(more));
        return a;
    }

    // 17, 18, 19
    @Test
    void atlasOptionsAreCheckedBeforeTheSiteIsStarted() {
        assertRefused(run(atlas("--engine", "spark", "--master", "bogus://x")), 2, "is not a Spark master URL");
        assertRefused(run(atlas("--engine", "spark", "--master", "local[0]")), 2, "local[N] with N from 1");
        assertRefused(run(atlas("--engine", "spark", "--master", "spark://127.0.0.1:99999")), 2, "a port is 1 to 65535");
        long t0 = System.nanoTime();
        assertRefused(run(atlas("--engine", "spark", "--master", "spark://127.0.0.1:1")), 1, "cannot reach the Spark master at 127.0.0.1:1");
        assertTrue(System.nanoTime() - t0 < 30e9, "at once, not after Spark's retries");
        List<String> host = atlas();
        host.set(host.indexOf(out().toString()), "file://host" + out());
        Cli r = run(host);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.oneLineError() && r.err().contains("is not a local file URI"), r.err());
        List<String> layers = atlas();
        layers.set(layers.indexOf("gabor_relu"), ",");
        assertRefused(run(layers), 2, "has an empty name");
        for (String f : List.of("100-200", "-5")) {
            List<String> filters = atlas();
            filters.set(filters.indexOf("0-2"), f);
            assertRefused(run(filters), 2, f.equals("-5") ? "filter -5 is out of range" : "names none of layer 'gabor_relu''s filters 0 to 11");
        }
    }

    // 21
    @Test
    void theLimitsBoundTheNativeMemoryTheyAllow() {
        List<String> big = atlas("--batch", "12");
        big.set(big.indexOf("0-2"), "0-11");
        big.set(big.indexOf("24"), "4096");
        assertRefused(run(big), 2, "12 images of 4096 px at a time need about", "for the network's activations", "lower --batch");
    }

    // 4
    @Test
    void atlasResumeRendersAgainWhatIsMissingDamagedOrChanged() throws IOException {
        Cli first = run(atlas());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.err().contains("3 rendered, 0 already there"), first.err());
        Path tiles;
        try (Stream<Path> s = Files.walk(out().resolve("tiles"))) {
            tiles = s.filter(p -> p.getFileName().toString().equals("0.png")).findFirst().orElseThrow().getParent();
        }
        byte[] png0 = Files.readAllBytes(tiles.resolve("0.png"));
        byte[] png1 = Files.readAllBytes(tiles.resolve("1.png"));
        Cli same = run(atlas());
        assertTrue(same.err().contains("0 rendered, 3 already there"), same.err());
        Files.delete(tiles.resolve("0.png"));
        Files.write(tiles.resolve("1.png"), Arrays.copyOf(png1, png1.length / 2));
        Files.writeString(tiles.resolve("2.json"), Files.readString(tiles.resolve("2.json")).replace("\"status\"", "\"stat"));
        Cli again = run(atlas());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("3 rendered, 0 already there"), again.err());
        assertTrue(Arrays.equals(png0, Files.readAllBytes(tiles.resolve("0.png"))), "rendered again, the same bytes");
        assertTrue(Arrays.equals(png1, Files.readAllBytes(tiles.resolve("1.png"))), "whole again");
        assertTrue(Files.readString(tiles.resolve("2.json")).contains("\"png_sha256\""));
    }

    // 20
    @Test
    void modelsThatAreNotModelFilesAreContentErrors() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.txt"), "my notes\n");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path fifo = dir.resolve("model.onnx");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        String[][] cases = {{text.toString(), "no backend opens notes.txt"}, {empty.toString(), "is empty"},
            {"/dev/zero", "is not a regular file"}, {fifo.toString(), "is not a regular file"}};
        for (String[] c : cases) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertRefused(run(args("visualize", "--model", c[0], "--layer", "x", "--out",
                    out().toString(), "--quiet")), 1, c[1]));
        }
    }
}
