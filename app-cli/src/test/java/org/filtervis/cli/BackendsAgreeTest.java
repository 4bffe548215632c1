package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
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
        var differences = Cli.gradientDifferencesFromOnnx(dir, new long[] {2, 3, 40, 40}, "--layer", "logits", "--filters", "3,7");
        assertTrue(differences.values().stream().allMatch(d -> d < 1e-4), "relative L2 differences from onnx: " + differences);
    }
}
