package org.filtervis.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.GradientProvider;
import org.filtervis.core.GradientAscent;
import org.filtervis.core.Recipe;
import org.filtervis.core.RunEngine;
import org.filtervis.core.RunSettings;
import org.filtervis.core.Session;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.OnnxFormat;

/**
 * filtervis from Java: the Keras recipe on the 12 first-layer filters of the demo network, with
 * the ONNX Runtime backend, into {@code OUT/} (grid.png, filters/, run.json; default OUT:
 * {@code example-out}).
 */
public final class VisualizeDemo {
    private VisualizeDemo() {}

    public static RunEngine.Result run(Path out) throws Exception {
        Path model = Files.write(Files.createDirectories(out).resolve("demo.onnx"), OnnxFormat.write(DemoNetwork.build()));
        RunSettings settings = new RunSettings("onnx", model, new BackendOptions("cpu", 2), Recipe.keras(), 16, out);
        List<Integer> filters = IntStream.range(0, 12).boxed().toList();
        try (Session v = Session.open(settings, List.of());
                GradientProvider layer = v.gradients(DemoNetwork.FIRST_LAYER, 64, 64)) {
            return v.run(layer, DemoNetwork.FIRST_LAYER, filters, Map.of("model", model.toString()), new GradientAscent.Listener() {});
        }
    }

    public static void main(String[] args) throws Exception {
        RunEngine.Result result = run(Path.of(args.length > 0 ? args[0] : "example-out"));
        System.out.printf("%d filters at %.2f filters/s; statuses %s%n", result.filters().size(), result.filtersPerSecond(),
                result.filters().stream().map(f -> f.status().name()).distinct().toList());
    }
}
