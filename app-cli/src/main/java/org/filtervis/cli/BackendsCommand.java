package org.filtervis.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.filtervis.api.BackendProvider;
import org.filtervis.core.BackendRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "backends", description = "Lists every discovered backend: name, version, model formats, devices.")
final class BackendsCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Override
    public Integer call() {
        BackendRegistry registry = top.registry();
        String row = "%-10s %-28s %-32s %-9s %s%n";
        top.out.printf(row, "NAME", "VERSION", "FORMATS", "DEVICES", "SAME BYTES EVERY RUN ON");
        for (BackendProvider p : registry.providers().values()) {
            List<String> repeatable = p.repeatableOn();
            top.out.printf(row, p.name(), p.version(), String.join(",", p.modelFormats()), String.join(",", p.devices()),
                    repeatable.isEmpty() ? "not promised" : String.join(",", repeatable) + " (same seed and --threads)");
        }
        return 0;
    }
}
