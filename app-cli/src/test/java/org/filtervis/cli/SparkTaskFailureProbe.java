package org.filtervis.cli;

import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.atlas.Atlas;
import org.filtervis.core.atlas.AtlasJob;
import org.filtervis.core.atlas.LocalSiteFiles;
import org.filtervis.models.ModelFiles;
import org.filtervis.spark.SparkAtlasEngine;

/**
 * A Spark atlas job whose task fails on its executor: its layer is not in the model (the CLI
 * refuses such a layer before any task starts, so this calls the engine as a Java user could).
 * Prints what the CLI would: the one line, and exits 2. Run in a JVM of its own by the tests,
 * so everything Spark prints is seen.
 */
public final class SparkTaskFailureProbe {
    private SparkTaskFailureProbe() {}

    /** Runs the probe in a JVM of its own on {@code master}; returns its exit code and everything it printed (as err). */
    static Cli inJvm(String master, Path site) throws java.io.IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        cmd.addAll(List.of(SparkAtlasEngine.OPENS.split(" ")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SparkTaskFailureProbe.class.getName(), master, site.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String all = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int code = p.waitFor();
        // Not Spark's output: the JVM's own warnings, and SLF4J's about the test class path holding two providers.
        String printed = all.lines().filter(l -> !l.startsWith("WARNING: ") && !l.startsWith("SLF4J")).collect(java.util.stream.Collectors.joining("\n"));
        return new Cli(code, "", printed);
    }

    /** Usage: MASTER SITE-FOLDER. */
    public static void main(String[] args) {
        AtlasJob job = new AtlasJob("onnx", ModelFiles.demoNetwork().toString(), new BackendOptions("cpu", 1), new Recipe(3, 1f, 0, 0), 2, 40, List.of(),
                new LocalSiteFiles(Path.of(args[1])), "probe");
        Atlas.Layer good = new Atlas.Layer("conv2_relu", "Relu", List.of(1L, 16L, 40L, 40L), 16);
        Atlas.Layer bad = new Atlas.Layer("no_such_layer", "Relu", List.of(1L, 16L, 40L, 40L), 16);
        try {
            SparkAtlasEngine.run(args[0], job, List.of(new Atlas.Task(good, List.of(0, 1)), new Atlas.Task(bad, List.of(0, 1))), false);
            System.out.println("no error");
            System.exit(0);
        } catch (FiltervisException e) {
            System.err.println("filtervis: " + e.getMessage());
            System.exit(2);
        }
    }
}
