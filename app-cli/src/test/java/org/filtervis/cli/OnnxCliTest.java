package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.filtervis.core.io.Npy;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxCliTest {
    @TempDir
    Path dir;

    Path batch() throws IOException {
        float[] x = new float[2 * 3 * 48 * 48];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble() - 0.5f;
        }
        Path in = dir.resolve("x.npy");
        Npy.write(in, new long[] {2, 3, 48, 48}, x);
        return in;
    }

    @Test
    void exportedGradientModelRunsAsItIsAndGivesTheSameGradient() throws IOException {
        Path in = batch();
        Path direct = dir.resolve("g1.npy");
        Cli a = Cli.run("gradient", "--layer", "conv2_relu", "--filters", "4,17", "--input", in.toString(), "--output", direct.toString());
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().startsWith("filter 4 objective "), a.out());

        Path exported = dir.resolve("grad.onnx");
        Cli e = Cli.run("export-gradient", "--layer", "conv2_relu", "--batch", "2", "--size", "48", "--output", exported.toString());
        assertEquals(0, e.code(), e.err());
        Cli layers = Cli.run("layers", "--model", exported.toString());
        assertTrue(layers.out().contains("conv2_relu") && layers.out().contains("gradient model"), layers.out());

        Path viaExport = dir.resolve("g2.npy");
        Cli b = Cli.run("gradient", "--model", exported.toString(), "--layer", "conv2_relu", "--filters", "4,17", "--input", in.toString(),
                "--output", viaExport.toString());
        assertEquals(0, b.code(), b.err());
        assertEquals(a.out(), b.out());
        assertArrayEquals(Npy.read(direct).data(), Npy.read(viaExport).data());
    }

    @Test
    void layersListsNameOpShapeAndChannels() {
        Cli r = Cli.run("layers", "--size", "64");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\* gabor_relu\\s+Relu\\s+\\[1, 12, 64, 64]\\s+12")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\* logits\\s+Gemm\\s+\\[1, 10]\\s+10")), r.out());
    }

    @Test
    void logitsCanBeVisualized() {
        Path out = dir.resolve("logits");
        Cli r = Cli.run("visualize", "--layer", "logits", "--filters", "0-1", "--size", "64", "--steps", "3", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out.resolve("filters/logits-1.png")));
    }

    /** Filter 0 has a bias of -1: on noise it never fires, so the plain recipe leaves it gray. */
    Path modelWithADeadFilter() throws IOException {
        GraphBuilder b = new GraphBuilder("dead", 17);
        String x = b.input("image", "N", 3L, "H", "W");
        float[] w = new float[2 * 3 * 9];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i);
        }
        x = b.node("Conv", "conv", List.of(x, b.weight("w", Tensor.ofFloats(new long[] {2, 3, 3, 3}, w)),
                b.weight("b", Tensor.ofFloats(new long[] {2}, -1f, 0f))), Attribute.of("kernel_shape", new long[] {3, 3}));
        x = b.node("Relu", "relu", List.of(x));
        Path f = dir.resolve("dead.onnx");
        Files.write(f, OnnxFormat.write(b.output(x)));
        return f;
    }

    @Test
    void redirectedReluRescuesADeadFilterAndRunJsonSaysSo() throws IOException {
        Path model = modelWithADeadFilter();
        Path plain = dir.resolve("plain");
        Path redirected = dir.resolve("redirected");
        Cli a = Cli.run("visualize", "--model", model.toString(), "--layer", "relu", "--size", "40", "--out", plain.toString(), "--quiet");
        assertEquals(0, a.code(), a.err());
        assertTrue(a.err().contains("warning: filter 0 is dead"), a.err());
        String plainJson = Files.readString(plain.resolve("run.json"));
        assertTrue(plainJson.contains("\"dead\": [0]") && !plainJson.contains("dead_without_redirect"), plainJson);

        Cli b = Cli.run("visualize", "--model", model.toString(), "--layer", "relu", "--size", "40", "--redirect-relu", "--out",
                redirected.toString(), "--quiet");
        assertEquals(0, b.code(), b.err());
        String json = Files.readString(redirected.resolve("run.json"));
        assertTrue(json.contains("\"dead\": []") && json.contains("\"rescued_by_redirect\": [0]")
                && json.contains("\"dead_without_redirect\": [0]") && json.contains("\"redirect_relu_steps\": 10"), json);
    }

    @Test
    void cudaFailsWithAClearMessageWhereItCannotLoad() {
        Cli r = Cli.run("layers", "--device", "cuda");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.oneLineError(), r.err());
        assertTrue(r.err().contains("cannot use device 'cuda'") && r.err().contains("--device cpu"), r.err());
    }

    /** ONNX Runtime logs its own error lines natively before throwing: in a fresh JVM, stderr holds our one line only. */
    @Test
    void aModelThatFailsInOnnxRuntimeGivesOneLineOnStderr() throws Exception {
        Path f = BadInputTest.brokenAtItsOwnSize(dir);
        var r = DeterminismTest.filtervis(dir, 0, "visualize", "--model", f.toString(), "--layer", "flat", "--quiet", "--out",
                dir.resolve("out").toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("filtervis: the model fails to run at its own size 9x9"), r.err());
    }
}
