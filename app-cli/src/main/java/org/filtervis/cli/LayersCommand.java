package org.filtervis.cli;

import java.util.concurrent.Callable;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.Session;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

@Command(name = "layers", description = "Lists the layers you can visualize: name, op type, output shape, channels.")
final class LayersCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Mixin
    Filtervis.ModelOptions options;

    @Override
    public Integer call() {
        try (Session v = top.session(options.backend, ModelFiles.resolve(options.model), options.backendOptions(),
                Recipe.keras(), 1)) {
            Model model = v.model();
            int size = options.size(model.input());
            // Suggested layers (block outputs, activations, logits) first, marked with '*'.
            top.out.printf("  %-48s %-20s %-22s %s%n", "LAYER", "OP", "SHAPE", "CHANNELS");
            for (LayerInfo l : v.layers(size, size)) {
                top.out.printf("%s %-48s %-20s %-22s %d%n", l.suggested() ? "*" : " ", l.name(), l.opType(), l.shape(), l.channels());
            }
        }
        return 0;
    }
}
