package org.filtervis.core.plugin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.ModelBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --precision: the CPU's capabilities read, never assumed, and a precision nobody offers refused in one line. */
class PrecisionTest {
    @TempDir
    Path dir;

    static final String XEON = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n\n"
            + "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n";
    static final String EPYC = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx2 fma\n";

    static CpuFeatures cpu(Path dir, String text) throws Exception {
        return CpuFeatures.read(Files.writeString(dir.resolve("cpuinfo"), text));
    }

    /** A backend that offers bf16 where the flags allow it, or fp32 only. */
    static BackendProvider provider(boolean bf16) {
        return new BackendProvider() {
            public int spiVersion() {
                return SPI_VERSION;
            }

            public String name() {
                return bf16 ? "fast" : "plain";
            }

            public String version() {
                return "1";
            }

            public List<String> modelFormats() {
                return List.of("onnx");
            }

            public List<String> devices() {
                return List.of("cpu");
            }

            public List<String> precisions(Set<String> flags) {
                return bf16 && flags.contains("amx_bf16") ? List.of("fp32", "bf16") : List.of("fp32");
            }

            public boolean canOpen(Path model) {
                return true;
            }

            public ModelBackend create(BackendOptions options) {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void cpuFlagsAreRead() throws Exception {
        CpuFeatures xeon = cpu(dir, XEON);
        assertTrue(xeon.bf16());
        assertEquals("Intel(R) Xeon(R) Platinum 8480+ (amx_bf16 amx_tile avx512_bf16 avx512f avx2)", xeon.describe());
        CpuFeatures epyc = cpu(dir, EPYC);
        assertFalse(epyc.bf16());
        assertEquals("AMD EPYC (avx2)", epyc.describe());
        CpuFeatures none = CpuFeatures.read(dir.resolve("missing"));
        assertFalse(none.bf16());
        assertTrue(none.describe().contains("none of"));
    }

    @Test
    void precisionsAreCheckedAgainstTheCpuAndTheBackend() throws Exception {
        CpuFeatures xeon = cpu(dir, XEON);
        CpuFeatures epyc = cpu(dir, EPYC);
        assertDoesNotThrow(() -> BackendRegistry.requirePrecision(provider(false), "fp32", epyc));
        assertDoesNotThrow(() -> BackendRegistry.requirePrecision(provider(true), "bf16", xeon));
        FiltervisException noCpu = assertThrows(FiltervisException.class, () -> BackendRegistry.requirePrecision(provider(true), "bf16", epyc));
        assertEquals("--precision bf16 needs a CPU with AMX (amx_bf16) or AVX512_BF16, and this one has neither: AMD EPYC (avx2); use --precision fp32",
                noCpu.getMessage());
        FiltervisException noBackend = assertThrows(FiltervisException.class, () -> BackendRegistry.requirePrecision(provider(false), "bf16", xeon));
        assertTrue(noBackend.usage() && noBackend.getMessage().startsWith("backend plain computes in fp32 only on this machine, not --precision bf16"),
                noBackend.getMessage());
        FiltervisException unknown = assertThrows(FiltervisException.class, () -> BackendRegistry.requirePrecision(provider(true), "fp16", xeon));
        assertEquals("--precision fp16 is not fp32 or bf16", unknown.getMessage());
    }
}
