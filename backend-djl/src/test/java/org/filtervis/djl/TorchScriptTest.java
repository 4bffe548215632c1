package org.filtervis.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.io.Npy;
import org.filtervis.testkit.BackendTesting;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A module traced by PyTorch 1.13 (tools/make_torchscript_fixture.py): its layers are its two
 * outputs, and the gradients equal PyTorch's own autograd (float64) on the same file and input.
 */
class TorchScriptTest {
    static Path resource(String name) throws Exception {
        return Path.of(TorchScriptTest.class.getResource("/torchscript/" + name).toURI());
    }

    @ParameterizedTest
    @CsvSource({"0, 0.5166805768358478, 0.21674297866734982", "1, 0.09982152019056165, -0.41729173702835753"})
    void gradientsEqualPyTorchs(String output, double o0, double o1) throws Exception {
        Npy.Array x = Npy.read(resource("small_x.npy"));
        try (Model model = DjlTestBackend.INSTANCE.open(resource("small.pt")); GradientProvider p = model.gradients(output, 32, 32)) {
            float[] objectives = new float[2];
            float[] grad = new float[x.data().length];
            p.compute(x.data(), new int[] {1, 3}, objectives, grad);
            assertEquals(o0, objectives[0], 1e-5);
            assertEquals(o1, objectives[1], 1e-5);
            double err = BackendTesting.relativeError(grad, Npy.read(resource("small_out" + output + "_grad.npy")).data());
            assertTrue(err < 1e-4, "relative L2 error " + err);
        }
    }

    @org.junit.jupiter.api.Test
    void layersAreTheOutputsAndOthersAreRefusedClearly() throws Exception {
        try (Model model = DjlTestBackend.INSTANCE.open(resource("small.pt"))) {
            List<LayerInfo> layers = model.layers(32, 32);
            assertEquals(List.of("0", "1"), layers.stream().map(LayerInfo::name).toList());
            assertEquals(List.of(1L, 16L, 8L, 8L), layers.get(0).shape());
            assertEquals(5, layers.get(1).channels());
            FiltervisException e = assertThrows(FiltervisException.class, () -> model.gradients("conv1", 32, 32));
            assertTrue(e.usage() && e.getMessage().contains("a TorchScript model's layers are its outputs, here [0, 1]"), e.getMessage());
        }
    }

    @org.junit.jupiter.api.Test
    void memoryStaysFlatOverManySteps() throws Exception {
        try (Model model = DjlTestBackend.INSTANCE.open(resource("small.pt")); GradientProvider p = model.gradients("0", 32, 32)) {
            float[] x = new float[2 * 3 * 32 * 32];
            float[] grad = new float[x.length];
            Runtime rt = Runtime.getRuntime();
            for (int i = 0; i < 50; i++) {
                p.compute(x, new int[] {0, 1}, new float[2], grad);
            }
            long before = rss();
            for (int i = 0; i < 400; i++) {
                p.compute(x, new int[] {0, 1}, new float[2], grad);
            }
            long grown = rss() - before;
            // 400 steps leaking their arrays would hold 400 * 2 images and activations: tens of MB.
            assertTrue(grown < 20 << 20, "resident memory grew by " + (grown >> 20) + " MB over 400 steps");
            assertTrue(rt.totalMemory() > 0);
        }
    }

    static long rss() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }
}
