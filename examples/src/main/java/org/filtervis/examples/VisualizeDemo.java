package org.filtervis.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendOptions;
import org.filtervis.core.ascent.GradientAscent;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.RunSettings;
import org.filtervis.core.Session;
import org.filtervis.core.VisualizeJob;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.OnnxFormat;

/**
 * filtervis from Java: the Keras recipe on the 12 first-layer filters of the demo network, with
 * the ONNX Runtime backend, into {@code OUT/} (grid.png, filters/, run.json; default OUT:
 * {@code example-out}).
 */
public final class VisualizeDemo {
    private VisualizeDemo() {}

    /** The same job the command line runs for {@code visualize --backend onnx --layer gabor_relu --filters 0-11 --size 64 --threads 2}. */
    public static VisualizeJob.Result run(Path out) throws Exception {
        Path model = Files.write(Files.createDirectories(out).resolve("demo.onnx"), OnnxFormat.write(DemoNetwork.build()));
        Recipe recipe = Recipe.keras();
        VisualizeJob job = new VisualizeJob(DemoNetwork.FIRST_LAYER, null, "0-11", null, recipe, false, 64, out, model.toString(), "example");
        try (Session s = Session.open(new RunSettings("onnx", model, new BackendOptions("cpu", 2), recipe, 16, out), List.of())) {
            return job.run(s, note -> System.err.println("note: " + note), new GradientAscent.Listener() {});
        }
    }

    public static void main(String[] args) throws Exception {
        VisualizeJob.Result result = run(Path.of(args.length > 0 ? args[0] : "example-out"));
        System.out.printf("%d filters at %.2f filters/s; statuses %s%n", result.filters().size(), result.run().filtersPerSecond(),
                result.filters().stream().map(f -> f.status().name()).distinct().toList());
    }
}
