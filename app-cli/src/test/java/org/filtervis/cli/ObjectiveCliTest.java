package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.filtervis.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --objective} on the command line, through the general differentiation path of every backend. */
class ObjectiveCliTest {
    @TempDir
    Path dir;

    /**
     * --layer L is channel_interior(L, f) with the Keras recipe (the example's border) and
     * channel(L, f) with --border 0 (every position): each draws what its objective draws.
     */
    @ParameterizedTest
    @CsvSource({"onnx, 2", "tf, 2", "djl, 2", "onnx, 0", "tf, 0", "djl, 0"})
    void theChannelObjectiveThroughTheGeneralPathDrawsWhatTheLayerDraws(String backend, int border) throws IOException {
        Path a = dir.resolve("layer" + border);
        Path b = dir.resolve("objective" + border);
        String objective = border == 0 ? "channel(gabor_relu, f)" : "channel_interior(gabor_relu, f)";
        Cli byLayer = Cli.run("visualize", "--backend", backend, "--layer", "gabor_relu", "--border", Integer.toString(border), "--filters", "0-3",
                "--size", "64", "--quiet", "--out", a.toString());
        Cli byObjective = Cli.run("visualize", "--backend", backend, "--objective", objective, "--filters", "0-3", "--size", "64",
                "--quiet", "--out", b.toString());
        assertEquals(0, byLayer.code(), byLayer.err());
        assertEquals(0, byObjective.code(), byObjective.err());
        var ga = ImageIO.read(a.resolve("grid.png").toFile());
        var gb = ImageIO.read(b.resolve("grid.png").toFile());
        int worst = Cli.maxLevelDifference(ga, gb);
        assertTrue(worst <= 2, backend + ": the two paths differ only by float rounding; worst level difference " + worst);
        assertTrue(Files.readString(b.resolve("run.json")).contains("\"objective\": \"" + objective + "\""));
        String layerJson = Files.readString(a.resolve("run.json"));
        assertTrue(layerJson.contains("\"objective\": \"" + objective + "\"") && layerJson.contains("\"border\": " + border), layerJson);
    }

    /** The two borders give different images (gabor_relu at 64 px is far larger than 4 x 4), so the test above tells them apart. */
    @Test
    void theBorderChangesTheImages() throws IOException {
        Cli inner = Cli.run("visualize", "--layer", "gabor_relu", "--filters", "0-3", "--size", "64", "--quiet", "--out", dir.resolve("b2").toString());
        Cli all = Cli.run("visualize", "--layer", "gabor_relu", "--border", "0", "--filters", "0-3", "--size", "64", "--quiet", "--out",
                dir.resolve("b0").toString());
        assertEquals(0, inner.code(), inner.err());
        assertEquals(0, all.code(), all.err());
        int worst = Cli.maxLevelDifference(ImageIO.read(dir.resolve("b2/grid.png").toFile()), ImageIO.read(dir.resolve("b0/grid.png").toFile()));
        assertTrue(worst > 10, "border 2 and border 0 draw different images; worst level difference " + worst);
    }

    @Test
    void compareTakesAnObjectiveAndTheBackendsAgreeOnIt() throws IOException {
        Path out = dir.resolve("cmp");
        Cli r = Cli.run("compare", "--backends", "onnx,tf,djl", "--objective", "neuron(conv2_relu, f) - 0.5 * deepdream(conv2_relu)", "--filters",
                "0,5", "--size", "48", "--steps", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String json = Files.readString(out.resolve("compare.json"));
        assertTrue(json.contains("\"objective\": \"neuron(conv2_relu, f) - 0.5 * deepdream(conv2_relu)\"") && json.contains("\"agree\": true"), json);
    }

    @Test
    void gradientTakesAnObjectiveAndPrintsEachImagesValue() throws IOException {
        float[] x = new float[2 * 3 * 24 * 24];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 0.3f;
        }
        Path in = dir.resolve("x.npy");
        Npy.write(in, new long[] {2, 3, 24, 24}, x);
        Cli r = Cli.run("gradient", "--objective", "neuron(gabor_relu, f) + 0.5 * deepdream(conv2_relu) - 0.01 * l2()", "--filters", "3,3", "--input",
                in.toString(), "--output", dir.resolve("g.npy").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.out().strip().lines().filter(l -> l.startsWith("filter 3 objective ")).count(), r.out());
        Cli batch = Cli.run("gradient", "--objective", "channel(gabor_relu, f) - 10 * diversity(conv2_relu)", "--filters", "1,2", "--input",
                in.toString(), "--output", dir.resolve("g2.npy").toString());
        assertEquals(0, batch.code(), batch.err());
        assertTrue(batch.out().strip().lines().reduce((a, b) -> b).orElse("").startsWith("batch objective -"), batch.out());
        float[] g = Npy.read(dir.resolve("g.npy")).data();
        double norm = 0;
        for (float v : g) {
            norm += v * v;
        }
        assertTrue(norm > 0, "a gradient");
    }

    @Test
    void badObjectivesAreOneLineUsageErrors() throws IOException {
        Path out = dir.resolve("out");
        Cli both = Cli.run("visualize", "--layer", "gabor_relu", "--objective", "l1()", "--out", out.toString());
        assertEquals(2, both.code());
        assertTrue(both.oneLineError() && both.err().contains("give --layer or --objective, not both"), both.err());
        Cli malformed = Cli.run("visualize", "--objective", "channel(gabor_relu, f", "--out", out.toString());
        assertEquals(2, malformed.code());
        assertTrue(malformed.oneLineError() && malformed.err().contains("at position 21 of 'channel(gabor_relu, f': expected ',' or ')'"),
                malformed.err());
        Cli unknown = Cli.run("visualize", "--objective", "channel(gabor_rel, f)", "--out", out.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.oneLineError() && unknown.err().contains("unknown layer 'gabor_rel'") && unknown.err().contains("gabor_relu"), unknown.err());
        Path v = dir.resolve("v.npy");
        Npy.write(v, new long[] {2, 3}, new float[6]);
        Cli direction = Cli.run("visualize", "--objective", "direction(gabor_relu, '" + v + "')", "--out", out.toString());
        assertEquals(2, direction.code());
        assertTrue(direction.oneLineError() && direction.err().contains("has shape [2, 3]; direction needs a float32 .npy of one value per channel"),
                direction.err());
        assertTrue(!Files.exists(out), "nothing written");
    }
}
