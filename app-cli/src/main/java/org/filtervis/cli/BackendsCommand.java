package org.filtervis.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.filtervis.api.BackendProvider;
import org.filtervis.core.plugin.BackendRegistry;
import org.filtervis.core.plugin.CpuFeatures;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "backends", description = "Lists every discovered backend: name, version, model formats, devices, precisions on this CPU; and the CPU's relevant capabilities.")
final class BackendsCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Override
    public Integer call() {
        BackendRegistry registry = top.registry();
        CpuFeatures cpu = CpuFeatures.detect();
        String row = "%-10s %-28s %-32s %-9s %-10s %s%n";
        top.out.printf(row, "NAME", "VERSION", "FORMATS", "DEVICES", "PRECISION", "SAME BYTES EVERY RUN ON");
        for (BackendProvider p : registry.providers().values()) {
            List<String> repeatable = p.repeatableOn();
            top.out.printf(row, p.name(), p.version(), String.join(",", p.modelFormats()), String.join(",", p.devices()),
                    String.join(",", p.precisions(cpu.flags())),
                    repeatable.isEmpty() ? "not promised" : String.join(",", repeatable) + " (same seed and --threads)");
        }
        top.out.println();
        top.out.println("Atlas engines: local (this process)" + org.filtervis.core.atlas.AtlasEngines.of(registry).keySet().stream()
                .map(e -> ", " + e).collect(java.util.stream.Collectors.joining()) + " (atlas --engine NAME)");
        top.out.println("CPU: " + cpu.describe() + (cpu.bf16() ? ": bfloat16 arithmetic (--precision bf16 where a backend offers it)"
                : ": no bfloat16 arithmetic, so fp32 only"));
        return 0;
    }
}
