package org.filtervis.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Model;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.Session;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "export-gradient", description = "Writes the gradient model (objectives and input gradient for a batch) as ONNX.")
final class ExportGradientCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Mixin
    Filtervis.ModelOptions options;

    @Option(names = "--layer", required = true, paramLabel = "NAME", description = Help.LAYER)
    String layer;

    @Option(names = "--batch", defaultValue = "1", description = Help.BATCH)
    int batch;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = Help.OUTPUT)
    Path output;

    @Override
    public Integer call() {
        if (batch < 1) {
            throw FiltervisException.usage("--batch must be positive");
        }
        try (Session v = top.session(options.backend, ModelFiles.resolve(options.model), options.backendOptions(),
                Recipe.keras(), batch)) {
            Model model = v.model();
            int size = options.size(model.input());
            Model.GradientExporter exporter = model.gradientExporter().orElseThrow(() -> FiltervisException.usage(
                    "backend '" + v.provider().name() + "' cannot export gradient models; use --backend onnx"));
            exporter.export(layer, batch, size, size, output);
            top.out.println("wrote " + output);
        }
        return 0;
    }
}
