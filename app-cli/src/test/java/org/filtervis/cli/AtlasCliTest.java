package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.filtervis.models.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * atlas on the embedded demo network: the site's files, a rerun that renders nothing, a lost or
 * half-written tile rendered again to the same bytes, other settings in their own tiles, the
 * pages in headless Chromium, and bad input refused with nothing written.
 */
class AtlasCliTest {
    @TempDir
    Path dir;

    Cli atlas(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("atlas", "--model", ModelFiles.demoNetwork().toString(), "--size", "40", "--steps", "4",
                "--filters", "0-5", "--batch", "4", "--out", out.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    /** Headless Chromium reading local pages, with a profile of its own. */
    List<String> chromiumFlags() {
        return List.of("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--allow-file-access-from-files", "--virtual-time-budget=5000",
                "--user-data-dir=" + dir.resolve("chromium-profile"));
    }

    static List<Path> tiles(Path site) throws IOException {
        try (Stream<Path> s = Files.walk(site.resolve("tiles"))) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    @Test
    void resumesAndRendersOnlyWhatIsMissing() throws IOException {
        Path site = dir.resolve("site");
        Cli first = atlas(site);
        assertEquals(0, first.code(), first.err());
        assertTrue(first.err().contains("18 filters: 18 rendered, 0 already there"), first.err());
        List<Path> pngs = tiles(site);
        assertEquals(18, pngs.size(), "3 layers x 6 filters");
        for (String page : List.of("index.html", "layers/gabor_relu.html", "layers/conv2_relu.html", "layers/conv3_relu.html", "filters/conv2_relu/5.html")) {
            assertTrue(Files.isRegularFile(site.resolve(page)), page);
        }
        String index = Files.readString(site.resolve("index.html"));
        assertTrue(index.contains("<li>recipe: lucid</li>") && index.contains("<li>redirect_relu_steps: 16</li>"),
                "the atlas's default: Lucid's recipe with redirected ReLU for its first 16 steps: " + index);
        Cli again = atlas(site);
        assertTrue(again.err().contains("18 filters: 0 rendered, 18 already there"), again.err());

        // A lost tile, and one whose .json (written last) never came: both rendered again, to the same bytes.
        Path tileDir = pngs.stream().filter(p -> p.toString().contains("conv2_relu")).findFirst().orElseThrow().getParent();
        byte[] two = Files.readAllBytes(tileDir.resolve("2.png"));
        Files.delete(tileDir.resolve("2.png"));
        Files.delete(tileDir.resolve("2.json"));
        Files.delete(tileDir.resolve("5.json"));
        Files.writeString(tileDir.resolve("5.png"), "half a png");
        Cli resumed = atlas(site);
        assertTrue(resumed.err().contains("18 filters: 2 rendered, 16 already there"), resumed.err());
        assertArrayEquals(two, Files.readAllBytes(tileDir.resolve("2.png")));
        assertTrue(Files.size(tileDir.resolve("5.png")) > 100);

        // A fresh site with the same settings has the same bytes; other settings get tiles of their own.
        Path other = dir.resolve("other");
        assertEquals(0, atlas(other).code());
        List<Path> otherPngs = tiles(other);
        for (int i = 0; i < pngs.size(); i++) {
            assertEquals(site.relativize(pngs.get(i)), other.relativize(otherPngs.get(i)));
            assertArrayEquals(Files.readAllBytes(pngs.get(i)), Files.readAllBytes(otherPngs.get(i)), pngs.get(i).toString());
        }
        Cli moreSteps = atlas(site, "--seed", "5");
        assertTrue(moreSteps.err().contains("18 filters: 18 rendered"), moreSteps.err());
        assertEquals(36, tiles(site).size(), "seed 0's tiles stay beside seed 5's");
    }

    @Test
    void aTaskFailingOnItsExecutorEndsTheJobInOneLine() throws Exception {
        Cli r = SparkTaskFailureProbe.inJvm("local[2]", dir.resolve("probe"));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no Spark logs:\n" + r.err());
        assertTrue(r.err().startsWith("filtervis: unknown layer 'no_such_layer'"), r.err());
    }

    @Test
    void sparkLocalModeRendersTheSameTiles() throws IOException {
        Path local = dir.resolve("local");
        Path spark = dir.resolve("spark");
        assertEquals(0, atlas(local, "--views", "negative").code());
        Cli r = atlas(spark, "--engine", "spark", "--master", "local[2]", "--views", "negative");
        assertEquals(0, r.code(), r.err());
        assertEquals(36, tiles(spark).size(), "each filter's channel and negative view");
        assertTrue(r.err().contains("18 filters: 18 rendered, 0 already there"), r.err());
        List<Path> a = tiles(local);
        List<Path> b = tiles(spark);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(local.relativize(a.get(i)), spark.relativize(b.get(i)));
            assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), "Spark's tile " + b.get(i).getFileName() + " as the local engine's");
        }
        Cli again = atlas(spark, "--engine", "spark", "--master", "local[2]", "--views", "negative");
        assertTrue(again.err().contains("18 filters: 0 rendered, 18 already there"), again.err());
        assertTrue(Files.readString(spark.resolve("index.html")).contains("18 of 18 filters rendered"));
    }

    @Test
    void badInputWritesNothing() {
        String[][] cases = {{"--layers", "nosuch"}, {"--layers", "logits"}, {"--engine", "flink"}, {"--layer", "gabor_relu"},
            {"--engine", "spark", "--layers", "nosuch"}, {"--master", "local[2]"}};
        String[] expected = {"unknown layer 'nosuch'", "has no height and width", "unknown engine 'flink'; installed: local, spark", "atlas takes --layers",
            "unknown layer 'nosuch'", "--master belongs to an engine that runs elsewhere"};
        for (int i = 0; i < cases.length; i++) {
            Path out = dir.resolve("bad" + i);
            Cli r = atlas(out, cases[i]);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.oneLineError() && r.err().contains(expected[i]), r.err());
            assertFalse(Files.exists(out), "nothing written");
        }
    }

    @Test
    void pagesWorkInHeadlessChromium() throws Exception {
        String chromium = System.getProperty("filtervis.chromium", "");
        assumeTrue(!chromium.isEmpty(), "set -Dfiltervis.chromium=/usr/bin/chromium (as .ci/run does) to render the pages");
        Path site = dir.resolve("browse");
        assertEquals(0, atlas(site).code());
        List<String> flags = chromiumFlags();
        String index = CompareTest.chromium(chromium, flags, "--dump-dom", site.resolve("index.html").toUri().toString());
        assertTrue(index.contains("data-shown=\"3\"") && index.contains("18 of 18 filters rendered"), index);
        String searched = CompareTest.chromium(chromium, flags, "--dump-dom", site.resolve("index.html").toUri() + "#q=conv");
        assertTrue(searched.contains("data-shown=\"2\""), "the search box narrows the list to conv2_relu and conv3_relu");
        String layer = CompareTest.chromium(chromium, flags, "--dump-dom", site.resolve("layers/conv2_relu.html").toUri().toString());
        assertTrue(layer.contains("data-loaded=\"6\"") && layer.contains("data-failed=\"0\""), "every tile loads: " + layer);
        String filter = CompareTest.chromium(chromium, flags, "--dump-dom", site.resolve("filters/conv2_relu/3.html").toUri().toString());
        assertTrue(filter.contains("<polyline") && filter.contains("data-loaded=\"1\"") && filter.contains("status: "), filter);
    }

    /**
     * With --images, each filter's page shows its dataset examples (crops and maps) and how its
     * visualization compares to the best photo, and each layer page a second row of best photos;
     * every picture loads in headless Chromium.
     */
    @Test
    void datasetExamplesBesideTheVisualizations() throws Exception {
        Path photos = dir.resolve("photos");
        TestPhotos.stripes(photos, 6, 50, 44, k -> "p" + k + ".png");
        Path site = dir.resolve("ex");
        Cli r = atlas(site, "--layers", "conv2_relu", "--images", photos.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        String layerHtml = Files.readString(site.resolve("layers/conv2_relu.html"));
        assertEquals(6, layerHtml.split("class=\"example\"").length - 1, "a best photo under each of the 6 tiles");
        assertTrue(layerHtml.contains("best photo</div>"), "the ratio under each tile");
        String filterHtml = Files.readString(site.resolve("filters/conv2_relu/3.html"));
        assertTrue(filterHtml.contains("Dataset examples") && filterHtml.contains("times the best photo's"), filterHtml);
        assertTrue(Files.isRegularFile(site.resolve("examples/examples.json")));
        String chromium = System.getProperty("filtervis.chromium", "");
        assumeTrue(!chromium.isEmpty(), "set -Dfiltervis.chromium=/usr/bin/chromium (as .ci/run does) to render the pages");
        List<String> flags = chromiumFlags();
        String layer = CompareTest.chromium(chromium, flags, "--dump-dom", site.resolve("layers/conv2_relu.html").toUri().toString());
        assertTrue(layer.contains("data-loaded=\"12\"") && layer.contains("data-failed=\"0\""), "6 tiles and 6 best photos load: " + layer);
        String filter = CompareTest.chromium(chromium, flags, "--dump-dom", site.resolve("filters/conv2_relu/3.html").toUri().toString());
        // The tile, 5 crops, and on hover their 5 photos and 5 maps.
        assertTrue(filter.contains("data-loaded=\"16\"") && filter.contains("data-failed=\"0\""), filter);
    }

    /** A tile's objective before each step, from its .json. */
    static float[] objectives(Path json) throws IOException {
        String text = Files.readString(json);
        String[] parts = text.substring(text.indexOf("\"objectives\": [") + 15, text.indexOf(']', text.indexOf("\"objectives\""))).split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.parseFloat(parts[i].strip());
        }
        return v;
    }

    /**
     * Microscope's views: the negative channel starts at minus the channel's objective on the same
     * noise and climbs (the channel falls), the centre neuron climbs, the diverse images start from
     * different noise and end different; a rerun renders nothing, a lost view tile comes back the
     * same bytes, and the filter page shows every view in headless Chromium.
     */
    @Test
    void microscopeViewsOnTheFilterPage() throws Exception {
        Path site = dir.resolve("views");
        Cli r = atlas(site, "--layers", "conv2_relu", "--recipe", "keras", "--views", "negative,neuron,diversity");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("6 filters: 6 rendered, 0 already there"), r.err());
        Path channel;
        try (Stream<Path> s = Files.list(site.resolve("tiles/conv2_relu"))) {
            channel = s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{16}")).findFirst().orElseThrow();
        }
        Path negative = channel.resolveSibling(channel.getFileName() + "-negative");
        Path neuron = channel.resolveSibling(channel.getFileName() + "-neuron");
        Path diversity = channel.resolveSibling(channel.getFileName() + "-diversity");
        int negativeRose = 0;
        int neuronRose = 0;
        for (int f = 0; f < 6; f++) {
            float[] c = objectives(channel.resolve(f + ".json"));
            float[] n = objectives(negative.resolve(f + ".json"));
            assertEquals(-c[0], n[0], 1e-5 * Math.max(1, Math.abs(c[0])), "filter " + f + ": the negative view starts on the channel's noise");
            assertEquals(c[0], objectives(diversity.resolve(f + ".json"))[0], 1e-5 * Math.max(1, Math.abs(c[0])), "the first diverse image too");
            negativeRose += n[n.length - 1] > n[0] + 1e-4 ? 1 : 0;
            float[] u = objectives(neuron.resolve(f + ".json"));
            neuronRose += u[u.length - 1] > u[0] + 1e-4 ? 1 : 0;
            java.awt.image.BufferedImage strip = javax.imageio.ImageIO.read(diversity.resolve(f + ".png").toFile());
            assertEquals(4 * strip.getHeight(), strip.getWidth(), "four diverse images side by side");
            int w = strip.getHeight();
            for (int a = 0; a < 4; a++) {
                for (int b = a + 1; b < 4; b++) {
                    assertFalse(java.util.Arrays.equals(strip.getRGB(a * w, 0, w, w, null, 0, w), strip.getRGB(b * w, 0, w, w, null, 0, w)),
                            "filter " + f + ": diverse images " + a + " and " + b + " differ");
                }
            }
        }
        assertTrue(negativeRose >= 3 && neuronRose >= 3, "the views climb: negative " + negativeRose + ", neuron " + neuronRose + " of 6");
        String page = Files.readString(site.resolve("filters/conv2_relu/2.html"));
        assertTrue(page.contains("the negative channel") && page.contains("the neuron at the centre") && page.contains("diverse images"), page);

        Cli again = atlas(site, "--layers", "conv2_relu", "--recipe", "keras", "--views", "negative,neuron,diversity");
        assertTrue(again.err().contains("6 filters: 0 rendered, 6 already there"), again.err());
        Cli channelOnly = atlas(site, "--layers", "conv2_relu", "--recipe", "keras");
        assertTrue(channelOnly.err().contains("6 filters: 0 rendered, 6 already there"), "the channel's tiles are shared: " + channelOnly.err());
        byte[] three = Files.readAllBytes(diversity.resolve("3.png"));
        Files.delete(diversity.resolve("3.png"));
        Cli resumed = atlas(site, "--layers", "conv2_relu", "--recipe", "keras", "--views", "diversity,negative");
        assertTrue(resumed.err().contains("6 filters: 1 rendered, 5 already there"), resumed.err());
        assertArrayEquals(three, Files.readAllBytes(diversity.resolve("3.png")));

        for (String[] bad : new String[][] {{"--views", "negative,glow"}, {"--recipe", "maco", "--views", "diversity"}}) {
            Path out = dir.resolve("bad-views");
            Cli b = atlas(out, bad);
            assertEquals(2, b.code(), b.err());
            assertTrue(b.oneLineError() && (b.err().contains("'glow'") || b.err().contains("diversity view")), b.err());
            assertFalse(Files.exists(out), "nothing written");
        }
        String chromium = System.getProperty("filtervis.chromium", "");
        assumeTrue(!chromium.isEmpty(), "set -Dfiltervis.chromium=/usr/bin/chromium (as .ci/run does) to render the pages");
        List<String> flags = chromiumFlags();
        String filter = CompareTest.chromium(chromium, flags, "--dump-dom", site.resolve("filters/conv2_relu/2.html").toUri().toString());
        // The last run asked for diversity and negative: the page shows those beside the tile.
        assertTrue(filter.contains("data-loaded=\"3\"") && filter.contains("data-failed=\"0\"") && !filter.contains("the neuron at the centre"),
                "the tile and the 2 views asked for: " + filter);
    }
}
