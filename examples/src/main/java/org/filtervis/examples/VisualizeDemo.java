package org.filtervis.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.core.BackendRegistry;
import org.filtervis.core.GradientAscent;
import org.filtervis.core.PngSinks;
import org.filtervis.core.Recipe;
import org.filtervis.core.RunEngine;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.OnnxFormat;

/**
 * filtervis from Java: the Keras recipe on the 12 first-layer filters of the demo network, with
 * the ONNX Runtime backend, into {@code OUT/grid.png} (default OUT: {@code example-out}).
 */
public final class VisualizeDemo {
    private VisualizeDemo() {}

    public static RunEngine.Result run(Path out) throws Exception {
        Path modelFile = Files.write(Files.createDirectories(out).resolve("demo.onnx"), OnnxFormat.write(DemoNetwork.build()));
        var onnx = BackendRegistry.discover(List.of()).providers().get("onnx");
        List<Integer> filters = IntStream.range(0, 12).boxed().toList();
        try (ModelBackend backend = BackendRegistry.create(onnx, new BackendOptions("cpu", 2));
                Model model = backend.open(modelFile);
                GradientProvider layer = model.gradients(DemoNetwork.FIRST_LAYER, 64, 64)) {
            RunEngine.prepare(layer, Recipe.keras(), 16, filters.size());
            return RunEngine.run(layer, DemoNetwork.FIRST_LAYER, filters, Recipe.keras(), 16, Map.of("model", modelFile.toString()), 0,
                    List.of(PngSinks.grid(out.resolve("grid.png"))), new GradientAscent.Listener() {});
        }
    }

    public static void main(String[] args) throws Exception {
        RunEngine.Result result = run(Path.of(args.length > 0 ? args[0] : "example-out"));
        System.out.printf("%d filters at %.2f filters/s; statuses %s%n", result.filters().size(), result.filtersPerSecond(),
                result.filters().stream().map(f -> f.status().name()).distinct().toList());
    }
}
