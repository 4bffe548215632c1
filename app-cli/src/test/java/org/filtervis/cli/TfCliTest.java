package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.filtervis.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TensorFlow's formats on the command line: convert the demo to a SavedModel, then list, differentiate and visualize it. */
class TfCliTest {
    @TempDir
    Path dir;

    static float[] toNhwc(float[] v, int n, int c, int h, int w) {
        float[] out = new float[v.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        out[((i * h + y) * w + x) * c + ch] = v[((i * c + ch) * h + y) * w + x];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void demoAsSavedModelGivesTheOnnxGradientsAndVisualizes() throws IOException {
        Path saved = dir.resolve("demo_savedmodel");
        Cli c = Cli.run("convert", "--model", org.filtervis.models.ModelFiles.demoNetwork().toString(), "--to", "savedmodel", "--output", saved.toString(), "--size", "48");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("by backend tf"), c.out());

        Cli again = Cli.run("convert", "--model", org.filtervis.models.ModelFiles.demoNetwork().toString(), "--to", "savedmodel", "--output", saved.toString());
        assertEquals(2, again.code());
        assertTrue(again.oneLineError() && again.err().contains("exists"), again.err());

        Cli layers = Cli.run("layers", "--model", saved.toString(), "--size", "48");
        assertEquals(0, layers.code(), layers.err());
        assertTrue(layers.out().contains("conv2_relu"), "the SavedModel is opened by backend tf and keeps the layer names: " + layers.out());

        float[] x = new float[2 * 3 * 48 * 48];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 0.3f;
        }
        Path nchw = dir.resolve("x.npy");
        Npy.write(nchw, new long[] {2, 3, 48, 48}, x);
        Path nhwc = dir.resolve("x_nhwc.npy");
        Npy.write(nhwc, new long[] {2, 48, 48, 3}, toNhwc(x, 2, 3, 48, 48));
        Path g1 = dir.resolve("g_onnx.npy");
        Path g2 = dir.resolve("g_saved.npy");
        assertEquals(0, Cli.run("gradient", "--layer", "conv2_relu", "--filters", "3,7", "--input", nchw.toString(), "--output", g1.toString()).code());
        Cli g = Cli.run("gradient", "--model", saved.toString(), "--layer", "conv2_relu", "--filters", "3,7", "--input", nhwc.toString(),
                "--output", g2.toString());
        assertEquals(0, g.code(), g.err());
        float[] want = toNhwc(Npy.read(g1).data(), 2, 3, 48, 48);
        float[] got = Npy.read(g2).data();
        double err = Cli.relativeL2(got, want);
        assertTrue(err < 1e-5, "SavedModel vs ONNX: relative L2 " + err);

        Path out = dir.resolve("vis");
        Cli v = Cli.run("visualize", "--model", saved.toString(), "--layer", "conv2_relu", "--filters", "2", "--size", "64", "--out", out.toString(), "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(Files.isRegularFile(out.resolve("filters/conv2_relu-2.png")));
    }

    @Test
    void cudaIsRefusedInOneLine() {
        Cli r = Cli.run("layers", "--backend", "tf", "--device", "cuda");
        assertEquals(2, r.code());
        assertTrue(r.oneLineError() && r.err().contains("backend tf runs on the cpu only"), r.err());
    }

    @Test
    void aFolderThatIsNotASavedModelIsNamed() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Cli none = Cli.run("layers", "--backend", "tf", "--model", empty.toString());
        assertEquals(1, none.code());
        assertTrue(none.oneLineError() && none.err().contains("model folder " + empty + " is empty"), none.err());
        Files.writeString(empty.resolve("notes.txt"), "not a model");
        Cli r = Cli.run("layers", "--backend", "tf", "--model", empty.toString());
        assertEquals(2, r.code());
        assertTrue(r.oneLineError() && r.err().contains("folder without saved_model.pb"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    /** TensorFlow logs natively on a session's first run (absl ignores TF_CPP_MIN_LOG_LEVEL there): none of it may reach the user. */
    @Test
    void aQuietRunPrintsNothingInAFreshJvm() throws Exception {
        var r = DeterminismTest.filtervis(dir, 0, "visualize", "--backend", "tf", "--filters", "0", "--steps", "2", "--size", "40", "--quiet",
                "--out", dir.resolve("quiet").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err(), "stderr of a quiet tf run");
        var bad = DeterminismTest.filtervis(dir, 0, "visualize", "--backend", "tf", "--layer", "nope", "--quiet", "--out", dir.resolve("q2").toString());
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), "one line: " + bad.err());
    }
}
