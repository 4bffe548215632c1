package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** filtervis compare: the same recipe on several backends, one report. */
class CompareTest {
    @TempDir
    static Path dir;

    static Path out;
    static Cli result;

    @BeforeAll
    static void compareTheDemoOnEveryBackend() {
        out = dir.resolve("cmp");
        result = Cli.run("compare", "--backends", "onnx,tf,djl", "--filters", "0,4,9", "--size", "96", "--out", out.toString());
    }

    @Test
    void backendsAgree() throws IOException {
        assertEquals(0, result.code(), result.err());
        assertTrue(result.out().startsWith("backends agree (worst: filter "), result.out());
        String json = Files.readString(out.resolve("compare.json"));
        assertTrue(json.contains("\"agree\": true") && json.contains("\"pair\": \"onnx/tf\"") && json.contains("\"pair\": \"onnx/djl\"")
                && json.contains("\"pair\": \"tf/djl\"") && json.contains("\"step0_gradient_cosine\": ")
                && json.contains("\"images_identical\": ") && !json.contains("Infinity") && !json.contains("NaN"),
                json);
        var grid = ImageIO.read(out.resolve("compare.png").toFile());
        assertEquals(3 * 70 + 4 * 5, grid.getWidth(), "3 filter columns of 70 px tiles (96 px, 13 px crop per side)");
        assertEquals(4 * 70 + 5 * 5, grid.getHeight(), "rows: onnx, tf, djl, difference");
    }

    @Test
    void aPlantedWrongGradientMakesCompareFailAndPointsAtIt() throws IOException {
        Path plugins = dir.resolve("plugins");
        PluginTest.toyJar(plugins.resolve("toy/toy-backend.jar"));
        Path model = Files.writeString(dir.resolve("m.toy"), "toy");
        Path bad = dir.resolve("bad");
        Cli r = Cli.run("compare", "--plugins", plugins.toString(), "--backends", "toy,toybad", "--model", model.toString(), "--layer",
                "colour", "--filters", "0-2", "--size", "40", "--out", bad.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("backends disagree; worst: filter 0, toy/toybad: step-0 gradient cosine 0."), r.err());
        assertTrue(Files.readString(bad.resolve("compare.json")).contains("\"agree\": false"));
    }

    @Test
    void reportRendersInHeadlessChromium() throws Exception {
        String chromium = System.getProperty("filtervis.chromium", "");
        assumeTrue(!chromium.isEmpty(), "set -Dfiltervis.chromium=/usr/bin/chromium (as .ci/run does) to render the report");
        assertEquals(0, result.code(), result.err());
        Path shot = dir.resolve("report.png");
        List<String> flags = List.of("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + dir.resolve("chromium-profile"));
        String url = out.resolve("report.html").toUri().toString();
        String dom = chromium(chromium, flags, "--dump-dom", url);
        assertTrue(dom.contains("id=\"agreement\"") && dom.split("<tr class=\"ok\"").length == 10, "nine agreeing rows (3 pairs x 3 filters): " + dom.length());
        assertTrue(dom.contains("<img id=\"grid\"") && dom.contains("data:image/png;base64,") && dom.contains("<polyline"));
        chromium(chromium, flags, "--window-size=1200,1400", "--screenshot=" + shot, url);
        var image = ImageIO.read(shot.toFile());
        assertEquals(1200, image.getWidth());
        assertTrue(Files.size(shot) > 20_000, "a rendered page, not a blank one");
    }

    static String chromium(String binary, List<String> flags, String... more) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(binary));
        cmd.addAll(flags);
        cmd.addAll(List.of(more));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "chromium exit code");
        return stdout;
    }
}
