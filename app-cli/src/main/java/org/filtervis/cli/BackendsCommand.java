package org.filtervis.cli;

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
        top.out.printf("%-10s %-28s %-16s %s%n", "NAME", "VERSION", "FORMATS", "DEVICES");
        for (BackendProvider p : registry.providers().values()) {
            top.out.printf("%-10s %-28s %-16s %s%n", p.name(), p.version(), String.join(",", p.modelFormats()), String.join(",", p.devices()));
        }
        return 0;
    }
}
