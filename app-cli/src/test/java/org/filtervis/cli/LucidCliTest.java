package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --recipe lucid} from the command line, on every backend. */
class LucidCliTest {
    @TempDir
    Path dir;

    static String[] lucid(String backend, Path out, String... extra) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("visualize", "--recipe", "lucid", "--backend", backend, "--steps", "12",
                "--size", "48", "--filters", "0-3", "--quiet", "--out", out.toString()));
        a.addAll(java.util.List.of(extra));
        return a.toArray(String[]::new);
    }

    @ParameterizedTest
    @ValueSource(strings = {"onnx", "tf", "djl"})
    void rendersOnEveryBackendTheSameBytesEveryRun(String backend) throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Cli first = Cli.run(lucid(backend, a));
        Cli second = Cli.run(lucid(backend, b));
        assertEquals(0, first.code(), first.err());
        assertEquals(0, second.code(), second.err());
        assertArrayEquals(Files.readAllBytes(a.resolve("grid.png")), Files.readAllBytes(b.resolve("grid.png")), "same seed, backend, threads");
        var grid = ImageIO.read(a.resolve("grid.png").toFile());
        assertEquals(2 * 48 + 3 * 5, grid.getWidth(), "two columns of 48 px images, uncropped");
        String json = Files.readString(a.resolve("run.json"));
        assertTrue(json.contains("\"recipe\": \"lucid\"") && json.contains("param fft, decorrelated colour, transforms standard")
                && json.contains("\"clean_objective\"") && json.contains("\"image_pipeline_share\""), json);
    }

    @Test
    void everyPieceCanBeChangedAndTheRecordSaysSo() throws IOException {
        Path out = dir.resolve("pieces");
        Cli r = Cli.run(lucid("onnx", out, "--param", "pixel", "--no-decorrelate", "--transforms", "pad(4),rotate(-5:5)", "--optimizer",
                "normalized-sgd", "--lr", "1", "--preprocess", "torchvision"));
        assertEquals(0, r.code(), r.err());
        String json = Files.readString(out.resolve("run.json"));
        assertTrue(json.contains("param pixel, plain colour, transforms [pad(4), rotate(-5:5)], optimizer normalized-sgd, input 0:1, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]"),
                json);
    }

    @Test
    void anyObjectiveRunsUnderTheLucidRecipe() throws IOException {
        Path out = dir.resolve("objective");
        Cli r = Cli.run(lucid("tf", out, "--objective", "channel(gabor_relu, f) - 10 * diversity(conv2_relu)"));
        assertEquals(0, r.code(), r.err());
        String json = Files.readString(out.resolve("run.json"));
        assertTrue(json.contains("\"objective\": \"channel(gabor_relu, f) - 10 * diversity(conv2_relu)\"") && json.contains("\"recipe\": \"lucid\""), json);
    }

    @Test
    void compareRunsTheLucidRecipeAndTheBackendsAgree() throws IOException {
        Path out = dir.resolve("cmp");
        Cli r = Cli.run("compare", "--recipe", "lucid", "--backends", "onnx,tf,djl", "--steps", "8", "--size", "40", "--filters", "0,1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(out.resolve("compare.json")).contains("\"lucid\": \"40 px, param fft"), "the recipe recorded as visualize records it");
    }

    @Test
    void badLucidOptionsAreOneLineAndWriteNothing() {
        String[][] cases = {
            {"--transforms", "blur(3)", "'blur(3)' is not pad(N), jitter(N), scale(A:B) or rotate(A:B)"},
            {"--param", "wavelet", "--param wavelet is not fft or pixel"},
            {"--mean", "1,2", "--mean and --std need 3 values each for this model"},
            {"--input-range", "1:0", "input range 1.0:0.0 is empty"},
            {"--preprocess", "imagenet", "unknown preprocessing 'imagenet'"}};
        for (String[] c : cases) {
            Path out = dir.resolve("bad" + c[0]);
            Cli r = Cli.run(lucid("onnx", out, c[0], c[1]));
            assertEquals(2, r.code(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.oneLineError() && r.err().contains(c[2]), r.err());
            assertTrue(!Files.exists(out), "nothing written for " + c[0]);
        }
        Cli keras = Cli.run("visualize", "--transforms", "none", "--out", dir.resolve("k").toString());
        assertEquals(2, keras.code());
        assertTrue(keras.oneLineError() && keras.err().contains("--transforms belong to the Lucid recipe; add --recipe lucid"), keras.err());
        Cli recipe = Cli.run("visualize", "--recipe", "deepdream", "--out", dir.resolve("r").toString());
        assertTrue(recipe.code() == 2 && recipe.err().contains("--recipe deepdream is not keras, lucid or maco"), recipe.err());
    }
}
