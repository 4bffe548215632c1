package org.filtervis.core.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What this CPU can do, read from /proc/cpuinfo (Linux): the flags that matter for precision
 * (bfloat16 on AMX tiles or AVX512_BF16). Detected, never assumed: the machines differ.
 */
public record CpuFeatures(String model, Set<String> flags) {
    /** The flags filtervis reports. */
    public static final List<String> RELEVANT = List.of("amx_bf16", "amx_tile", "avx512_bf16", "avx512f", "avx2");

    private static CpuFeatures detected;

    /** This machine's, read once. */
    public static synchronized CpuFeatures detect() {
        if (detected == null) {
            detected = read(Path.of("/proc/cpuinfo"));
        }
        return detected;
    }

    static CpuFeatures read(Path cpuinfo) {
        String model = "unknown CPU";
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).strip();
                String value = line.substring(colon + 1).strip();
                if (key.equals("model name") && model.equals("unknown CPU")) {
                    model = value;
                } else if (key.equals("flags") && flags.isEmpty()) {
                    flags.addAll(List.of(value.split("\\s+")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: no flags known, so no bf16 offered
        }
        return new CpuFeatures(model, Set.copyOf(flags));
    }

    /** Whether the CPU has native bfloat16 arithmetic (AMX or AVX512_BF16). */
    public boolean bf16() {
        return flags.contains("amx_bf16") || flags.contains("avx512_bf16");
    }

    /** The relevant flags it has, e.g. {@code avx512f avx2}, or "none of ...". */
    public String describe() {
        List<String> have = RELEVANT.stream().filter(flags::contains).toList();
        return model + " (" + (have.isEmpty() ? "none of " + String.join(", ", RELEVANT) : String.join(" ", have)) + ")";
    }
}
