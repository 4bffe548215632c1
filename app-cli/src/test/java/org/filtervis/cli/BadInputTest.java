package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.filtervis.core.io.Npy;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad input gives one clear line, exit code 2 (usage) or 1 (runtime), and no output. */
class BadInputTest {
    @TempDir
    Path dir;

    Path out() {
        return dir.resolve("out");
    }

    void assertFails(Cli r, int code, String... phrases) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.oneLineError(), "one line, no stack trace: " + r.err());
        for (String p : phrases) {
            assertTrue(r.err().contains(p), "'" + p + "' in: " + r.err());
        }
        assertFalse(Files.exists(out()), "nothing written");
    }

    Cli visualize(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("visualize", "--out", out().toString(), "--quiet", "--size", "40"));
        args.addAll(Arrays.asList(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void bf16ThatNoBackendOffersHereIsOneLine() {
        // No backend offers bf16 yet (and this CPU may lack it too): either way one line, nothing written, no fp32 fallback.
        for (String backend : List.of("onnx", "tf", "djl")) {
            Cli r = visualize("--backend", backend, "--precision", "bf16");
            assertFails(r, 2, "--precision bf16", "use --precision fp32");
        }
        assertFails(visualize("--precision", "fp16"), 2, "--precision fp16 is not fp32 or bf16");
    }

    @Test
    void backendsShowTheCpuAndPrecisions() {
        Cli r = Cli.run("backends");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("PRECISION") && r.out().contains("\nCPU: "), r.out());
        assertTrue(r.out().lines().filter(l -> l.startsWith("onnx ")).allMatch(l -> l.contains(" fp32 ")), r.out());
    }

    @Test
    void missingModelFile() {
        assertFails(visualize("--model", dir.resolve("nope.onnx").toString(), "--layer", "x"), 2, "model file not found", "nope.onnx");
    }

    @Test
    void fileThatIsNotAModel() throws IOException {
        Path f = Files.writeString(dir.resolve("notes.onnx"), "these are my notes, not a model\n".repeat(20));
        assertFails(visualize("--model", f.toString(), "--layer", "x"), 1, "is not a readable ONNX model", "notes.onnx");
    }

    @Test
    void truncatedModel() throws IOException {
        byte[] model = OnnxFormat.write(DemoNetwork.build());
        Path f = Files.write(dir.resolve("cut.onnx"), Arrays.copyOf(model, model.length / 2));
        assertFails(visualize("--model", f.toString(), "--layer", "gabor_relu"), 1, "is not a readable ONNX model", "truncated");
    }

    @Test
    void unknownLayerSuggestsTheClosestNames() {
        assertFails(visualize("--layer", "gabor_rel"), 2, "unknown layer 'gabor_rel'", "closest: gabor_relu");
    }

    @Test
    void filterOutOfRange() {
        assertFails(visualize("--filters", "3,12"), 2, "filter 12 is out of range", "filters 0 to 11");
    }

    @Test
    void hugeFilterRangeIsRefusedBeforeAnythingIsExpanded() {
        long t0 = System.nanoTime();
        assertFails(visualize("--filters", "0-99999999"), 2, "filter 12 is out of range", "filters 0 to 11");
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "no time spent expanding the range");
    }

    @Test
    void numbersOutOfBoundsAreRefusedBeforeAnyWork() {
        assertFails(visualize("--threads", "1000"), 2, "--threads 1000 is not 0 (the framework's choice) or 1 to");
        assertFails(visualize("--threads", "-1"), 2, "--threads -1");
        assertFails(Cli.run("visualize", "--out", out().toString(), "--size", "100000"), 2, "--size 100000 is not 1 to 4096 pixels");
        assertFails(Cli.run("visualize", "--out", out().toString(), "--size", "0"), 2, "--size 0");
        assertFails(visualize("--lr", "Infinity"), 2, "--lr Infinity is not a finite positive number");
        assertFails(visualize("--lr", "NaN"), 2, "--lr NaN");
        assertFails(visualize("--steps", "0"), 2, "--steps 0 is not 1 to");
        assertFails(visualize("--batch", "100000"), 2, "--batch 100000 is not 1 to 1024");
        assertFails(Cli.run("visualize", "--out", out().toString(), "--size", "4096", "--batch", "64", "--filters", "0-11"), 2,
                "12 images of 50331648 values at a time need 2.4 GB per array; lower --batch");
        Cli empty = Cli.run("visualize", "--out", "", "--quiet", "--size", "40");
        assertEquals(2, empty.code());
        assertTrue(empty.oneLineError() && empty.err().contains("--out is empty"), empty.err());
        Cli compare = Cli.run("compare", "--backends", "onnx,tf", "--threads", "1000", "--out", out().toString());
        assertFails(compare, 2, "--threads 1000");
    }

    /** compare reads the recipe options through visualize's mixin, so the same mistakes get the same lines. */
    @Test
    void compareChecksTheRecipeOptionsAsVisualizeDoes() {
        String[][] mistakes = {{"--steps", "0"}, {"--lr", "NaN"}, {"--batch", "100000"}, {"--layer", "a", "--objective", "deepdream(a)"},
            {"--objective", "channel(a"}, {"--model", "m.onnx"}, {"--redirect-relu", "-1"}};
        for (String[] m : mistakes) {
            Cli v = visualize(m);
            List<String> args = new java.util.ArrayList<>(List.of("compare", "--backends", "onnx,tf", "--out", out().toString()));
            args.addAll(List.of(m));
            Cli c = Cli.run(args.toArray(String[]::new));
            assertEquals(2, v.code(), String.join(" ", m) + ": " + v.err());
            assertEquals(v.err(), c.err(), String.join(" ", m));
            assertEquals(2, c.code());
        }
    }

    /** A 9 px model whose Reshape asks for the wrong element count: it fails to run whatever the size. */
    static Path brokenAtItsOwnSize(Path dir) throws IOException {
        GraphBuilder b = new GraphBuilder("fixed", 17);
        String x = b.input("image", 1L, 3L, 9L, 9L);
        x = b.node("Reshape", "flat", List.of(x, b.weight("shape", Tensor.vector(1, 244))));
        return Files.write(dir.resolve("broken.onnx"), OnnxFormat.write(b.output(x)));
    }

    @Test
    void aModelThatFailsAtItsOwnSizeIsNotToldToChangeSize() throws IOException {
        Path f = brokenAtItsOwnSize(dir);
        Cli r = Cli.run("visualize", "--model", f.toString(), "--layer", "flat", "--out", out().toString(), "--quiet");
        assertFails(r, 1, "the model fails to run at its own size 9x9");
        assertFalse(r.err().contains("--size"), r.err());
    }

    @Test
    void unreadableFilterList() {
        assertFails(visualize("--filters", "a-b"), 2, "cannot read filter list 'a-b'");
    }

    @Test
    void unsupportedOperatorNamesTheOpTheNodeAndTheSupportedList() throws IOException {
        GraphBuilder b = new GraphBuilder("sin", 17);
        String x = b.input("image", "N", 3L, "H", "W");
        x = b.node("Sin", "wobble", List.of(x));
        x = b.node("Conv", "conv", List.of(x, b.weight("w", Tensor.ofFloats(new long[] {2, 3, 1, 1}, 1, 1, 1, 1, 1, 1))),
                Attribute.of("kernel_shape", new long[] {1, 1}));
        Path f = dir.resolve("sin.onnx");
        Files.write(f, OnnxFormat.write(b.output(x)));
        assertFails(visualize("--model", f.toString(), "--layer", "conv"), 1, "unsupported operator Sin (node 'wobble')", "supported: ",
                "Conv");
    }

    @Test
    void sizeTheModelCannotTakeNamesTheSizeItNeeds() throws IOException {
        GraphBuilder b = new GraphBuilder("fixed", 17);
        String x = b.input("image", 1L, 3L, 9L, 9L);
        x = b.node("Reshape", "flat", List.of(x, b.weight("shape", Tensor.vector(1, 243))));
        x = b.node("Gemm", "fc", List.of(x, b.weight("w", Tensor.ofFloats(new long[] {243, 4}, new float[243 * 4]))));
        Path f = dir.resolve("fixed.onnx");
        Files.write(f, OnnxFormat.write(b.output(x)));
        Cli r = Cli.run("visualize", "--model", f.toString(), "--layer", "fc", "--size", "12", "--out", out().toString(), "--quiet");
        assertFails(r, 2, "the model cannot take 12x12 images", "this model needs --size 9");
        Cli ok = Cli.run("visualize", "--model", f.toString(), "--layer", "fc", "--steps", "2", "--out", out().toString(), "--quiet");
        assertEquals(0, ok.code(), "without --size the model's own 9 px is used: " + ok.err());
    }

    @Test
    void outputFolderThatCannotBeWritten() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Cli r = Cli.run("visualize", "--out", file.resolve("out").toString(), "--quiet", "--size", "40", "--filters", "0");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.oneLineError() && r.err().contains("cannot create output folder"), r.err());
        assertEquals("x", Files.readString(file));
    }

    @Test
    void npyOfTheWrongShape() throws IOException {
        Path x = dir.resolve("x.npy");
        Npy.write(x, new long[] {2, 3, 8, 8}, new float[2 * 3 * 64]);
        Cli r = Cli.run("gradient", "--layer", "gabor_relu", "--filters", "1", "--input", x.toString(), "--output", out().toString());
        assertFails(r, 2, "has shape [2, 3, 8, 8]", "one image per filter entry (1 given in --filters 1)");
    }

    @Test
    void npyOfTheWrongDtype() throws IOException {
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3, 8, 8), }";
        header += " ".repeat(64 - (10 + header.length() + 1) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 3 * 64 * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        Path x = Files.write(dir.resolve("x64.npy"), b.array());
        Cli r = Cli.run("gradient", "--layer", "gabor_relu", "--filters", "1", "--input", x.toString(), "--output", out().toString());
        assertFails(r, 2, "holds dtype '<f8'", "float32");
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        Cli r = Cli.run("gradient", "--layer", "gabor_relu");
        assertEquals(2, r.code());
        assertTrue(r.oneLineError() && r.err().contains("Missing required options"), r.err());
    }

    @Test
    void verboseShowsTheStackTrace() {
        Cli r = Cli.run("visualize", "--verbose", "--layer", "gabor_rel", "--out", out().toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }
}
