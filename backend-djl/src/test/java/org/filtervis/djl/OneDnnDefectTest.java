package org.filtervis.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.junit.jupiter.api.Test;

/**
 * libtorch 2.7.1's oneDNN AVX-512 kernel gives wrong input gradients for 3x3 stride-1
 * convolutions with 8, 24 or 40 output channels at batch 2 on some CPUs (seen on AMD Zen 5).
 * A JVM started without the fix runs exactly those convolutions against the direct computation
 * in {@link DjlBackend#convolutionGradientError}: wherever the gradient is wrong, the backend must
 * refuse to start; with the fix it must be right everywhere.
 */
class OneDnnDefectTest {
    /** Entry point of the child JVM: prints the error, then whether the backend agreed to start. */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            System.out.println("error " + DjlBackend.convolutionGradientError(m, Engine.getEngine("PyTorch")));
        }
        try {
            new DjlBackendProvider().create(new BackendOptions("cpu", 1)).close();
            System.out.println("started");
        } catch (FiltervisException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }

    static boolean avx512() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        return Files.exists(cpuinfo) && Files.readString(cpuinfo).contains("avx512f");
    }

    static List<String> child(boolean fix) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), OneDnnDefectTest.class.getName());
        pb.environment().remove("ONEDNN_MAX_CPU_ISA");
        if (fix) {
            pb.environment().put("ONEDNN_MAX_CPU_ISA", "AVX2");
        }
        pb.redirectErrorStream(false);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.lines().filter(l -> l.startsWith("error ") || l.startsWith("started") || l.startsWith("refused")).toList();
    }

    @Test
    void withoutTheFixTheBackendNeverRunsWithWrongGradients() throws Exception {
        List<String> out = child(false);
        double error = Double.parseDouble(out.get(0).substring(6));
        System.out.println("oneDNN without the fix on this CPU (avx512: " + avx512() + "): relative error " + error);
        if (error > 1e-4) {
            assertTrue(out.get(1).startsWith("refused: libtorch returns wrong convolution gradients")
                    && out.get(1).contains("ONEDNN_MAX_CPU_ISA=AVX2"), out.get(1));
        } else {
            assertEquals("started", out.get(1), "this CPU does not show the defect");
        }
    }

    @Test
    void aWrongGradientStopsTheBackendWithAMessageSayingWhatToDo() {
        FiltervisException e = org.junit.jupiter.api.Assertions.assertThrows(FiltervisException.class,
                () -> DjlBackend.requireCorrectGradients(0.37));
        assertEquals("libtorch returns wrong convolution gradients on this CPU (relative error 0.37 in 3x3 convolutions with 8 to 40"
                + " output channels, a known oneDNN AVX-512 defect); start filtervis with ONEDNN_MAX_CPU_ISA=AVX2 in the environment"
                + " (the launcher ./filtervis does), or use --backend onnx", e.getMessage());
        DjlBackend.requireCorrectGradients(1e-7);
        DjlBackend.requireCorrectGradients(0);
        org.junit.jupiter.api.Assertions.assertThrows(FiltervisException.class, () -> DjlBackend.requireCorrectGradients(Double.NaN));
    }

    @Test
    void withTheFixGradientsAreRightAndTheBackendStarts() throws Exception {
        List<String> out = child(true);
        double error = Double.parseDouble(out.get(0).substring(6));
        assertTrue(error < 1e-5, "relative error " + error);
        assertEquals("started", out.get(1));
    }
}
