package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.filtervis.core.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same model, seed and recipe through ONNX Runtime, TensorFlow and PyTorch (DJL): the same images. */
class BackendsAgreeTest {
    @TempDir
    Path dir;

    @Test
    void everyBackendDrawsTheSameDemoFilters() throws IOException {
        for (String backend : new String[] {"onnx", "tf", "djl"}) {
            Cli r = Cli.run("visualize", "--backend", backend, "--filters", "2,9", "--layer", "conv2_relu", "--size", "96",
                    "--out", dir.resolve(backend).toString(), "--quiet");
            assertEquals(0, r.code(), r.err());
        }
        for (int f : new int[] {2, 9}) {
            BufferedImage a = ImageIO.read(dir.resolve("onnx/filters/conv2_relu-" + f + ".png").toFile());
            for (String other : new String[] {"tf", "djl"}) {
                BufferedImage b = ImageIO.read(dir.resolve(other + "/filters/conv2_relu-" + f + ".png").toFile());
                int worst = Cli.maxLevelDifference(a, b);
                assertTrue(worst <= 3, "filter " + f + ": onnx and " + other + " images differ by " + worst + " levels");
            }
        }
    }

    @Test
    void gradientCommandAgreesAcrossBackends() throws IOException {
        float[] x = new float[2 * 3 * 40 * 40];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 0.3f;
        }
        Path in = dir.resolve("x.npy");
        Npy.write(in, new long[] {2, 3, 40, 40}, x);
        String[] backends = {"onnx", "tf", "djl"};
        float[][] grads = new float[backends.length][];
        for (int i = 0; i < backends.length; i++) {
            Path out = dir.resolve("g-" + backends[i] + ".npy");
            Cli r = Cli.run("gradient", "--backend", backends[i], "--layer", "logits", "--filters", "3,7", "--input", in.toString(),
                    "--output", out.toString());
            assertEquals(0, r.code(), r.err());
            grads[i] = Npy.read(out).data();
        }
        for (int b = 1; b < backends.length; b++) {
            double err = Cli.relativeL2(grads[0], grads[b]);
            assertTrue(err < 1e-4, "onnx vs " + backends[b] + ": relative L2 difference " + err);
        }
    }
}
