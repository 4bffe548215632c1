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

/** The same model, seed and recipe through ONNX Runtime and through PyTorch (DJL): the same images. */
class BackendsAgreeTest {
    @TempDir
    Path dir;

    @Test
    void onnxAndDjlDrawTheSameDemoFilters() throws IOException {
        for (String backend : new String[] {"onnx", "djl"}) {
            Cli r = Cli.run("visualize", "--backend", backend, "--filters", "2,9", "--layer", "conv2_relu", "--size", "96",
                    "--out", dir.resolve(backend).toString(), "--quiet");
            assertEquals(0, r.code(), r.err());
        }
        for (int f : new int[] {2, 9}) {
            BufferedImage a = ImageIO.read(dir.resolve("onnx/filters/conv2_relu-" + f + ".png").toFile());
            BufferedImage b = ImageIO.read(dir.resolve("djl/filters/conv2_relu-" + f + ".png").toFile());
            int worst = Cli.maxLevelDifference(a, b);
            assertTrue(worst <= 3, "filter " + f + ": the backends' images differ by " + worst + " levels");
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
        float[][] grads = new float[2][];
        String[] backends = {"onnx", "djl"};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("g-" + backends[i] + ".npy");
            Cli r = Cli.run("gradient", "--backend", backends[i], "--layer", "logits", "--filters", "3,7", "--input", in.toString(),
                    "--output", out.toString());
            assertEquals(0, r.code(), r.err());
            grads[i] = Npy.read(out).data();
        }
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += Math.pow(grads[0][i] - grads[1][i], 2);
            den += Math.pow(grads[1][i], 2);
        }
        assertTrue(den > 0 && Math.sqrt(num / den) < 1e-4, "relative L2 difference " + Math.sqrt(num / den));
    }
}
