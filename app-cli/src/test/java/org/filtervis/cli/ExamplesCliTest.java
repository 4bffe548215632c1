package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.filtervis.graph.keras.JsLiteral;
import org.filtervis.models.ModelFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code filtervis examples} on the demo network: the scan repeats to the byte whatever the batch, and hostile collections are handled. */
class ExamplesCliTest {
    @TempDir
    Path dir;
    Path photos;

    @BeforeEach
    void collection() throws IOException {
        photos = Files.createDirectories(dir.resolve("photos"));
        TestPhotos.stripes(photos, 11, 48, 40, k -> (k % 2 == 0 ? "even" : "odd/deeper") + "/s" + k + ".png");
    }

    private Cli examples(Path out, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("examples", "--model", ModelFiles.demoNetwork().toString(), "--images", photos.toString(),
                "--size", "40", "--quiet", "--out", out.toString()));
        a.addAll(List.of(extra));
        if (!a.contains("--layers")) {
            a.addAll(List.of("--layers", "gabor_relu,conv3_relu"));
        }
        return Cli.run(a.toArray(String[]::new));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theSameBytesWhateverTheBatchAndNoLocalPaths() throws IOException {
        Cli one = examples(dir.resolve("b1"), "--batch", "1", "--top", "4", "--bottom", "2");
        Cli five = examples(dir.resolve("b5"), "--batch", "5", "--top", "4", "--bottom", "2");
        assertEquals(0, one.code(), one.err());
        assertEquals(0, five.code(), five.err());
        byte[] a = Files.readAllBytes(dir.resolve("b1/examples.json"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b5/examples.json")), "one photo per pass or five: the same examples.json");
        String text = new String(a, java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(text.contains(dir.toString()), "paths are relative to the collection");
        Map<String, Object> json = (Map<String, Object>) JsLiteral.parse(text);
        assertEquals(11, ((Number) json.get("images")).intValue());
        Map<String, Object> layer = (Map<String, Object>) ((Map<String, Object>) json.get("layers")).get("conv3_relu");
        assertEquals(List.of(32.0, 10.0, 10.0), ((List<Object>) layer.get("shape")).stream().map(n -> ((Number) n).doubleValue()).toList());
        List<Object> channels = (List<Object>) layer.get("channels");
        assertEquals(32, channels.size());
        for (Object o : channels) {
            List<Map<String, Object>> top = (List<Map<String, Object>>) ((Map<String, Object>) o).get("top");
            List<Map<String, Object>> bottom = (List<Map<String, Object>>) ((Map<String, Object>) o).get("bottom");
            assertEquals(4, top.size());
            assertEquals(2, bottom.size());
            for (int i = 1; i < top.size(); i++) {
                assertTrue(((Number) top.get(i - 1).get("value")).doubleValue() >= ((Number) top.get(i).get("value")).doubleValue(), "best first");
            }
            assertTrue(((Number) bottom.get(0).get("value")).doubleValue() <= ((Number) top.get(3).get("value")).doubleValue());
        }
    }

    /** The Spark engine (local[2], partitions of the photos merged in a tree) gives the local engine's examples.json, byte for byte. */
    @Test
    void sparkGivesTheLocalBytes() throws IOException {
        Files.writeString(photos.resolve("notes.txt"), "skipped on the driver");
        Files.write(photos.resolve("odd/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Cli local = examples(dir.resolve("local"), "--top", "3", "--bottom", "2", "--batch", "4");
        Cli spark = examples(dir.resolve("spark"), "--top", "3", "--bottom", "2", "--batch", "4", "--engine", "spark", "--master", "local[2]");
        assertEquals(0, local.code(), local.err());
        assertEquals(0, spark.code(), spark.err());
        byte[] a = Files.readAllBytes(dir.resolve("local/examples.json"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("spark/examples.json")), "Spark's examples.json as the local engine's");
        String text = new String(a, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("\"odd/broken.png\"") && text.contains("\"notes.txt\""), "skipped on an executor and on the driver: " + text);
        try (var parts = Files.walk(dir.resolve("spark/.parts"))) {
            assertEquals(1, parts.filter(p -> p.toString().endsWith(".part")).count(), "one partition (11 photos), stored");
        }
        List<String> again = new java.util.ArrayList<>(List.of("examples", "--model", ModelFiles.demoNetwork().toString(), "--layers",
                "gabor_relu,conv3_relu", "--images", photos.toString(), "--size", "40", "--out", dir.resolve("spark").toString(), "--top", "3",
                "--bottom", "2", "--batch", "4", "--engine", "spark", "--master", "local[2]"));
        Cli rerun = Cli.run(again.toArray(String[]::new));
        assertEquals(0, rerun.code(), rerun.err());
        assertTrue(rerun.err().contains("1 of 1 partitions were scanned before with these settings; reusing them"), rerun.err());
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("spark/examples.json")), "the rerun, from the stored partition");
        Cli bad = examples(dir.resolve("bad"), "--engine", "nope");
        assertTrue(bad.code() == 2 && bad.err().contains("unknown engine 'nope'"), bad.err());
        Cli master = examples(dir.resolve("bad"), "--master", "local[2]");
        assertTrue(master.code() == 2 && master.err().contains("--master belongs to"), master.err());
        assertFalse(Files.exists(dir.resolve("bad")));
    }

    /** Every example has its crop and its map, and the page shows them all in headless Chromium. */
    @Test
    void cropsMapsAndThePageLoad() throws Exception {
        Path out = dir.resolve("p");
        Cli r = examples(out, "--top", "3", "--bottom", "1");
        assertEquals(0, r.code(), r.err());
        // gabor_relu 12 channels, conv3_relu 32: (3 + 1) examples each, a crop and a map per example.
        for (String layer : List.of("gabor_relu", "conv3_relu")) {
            try (var files = Files.list(out.resolve(layer))) {
                assertEquals((layer.equals("gabor_relu") ? 12 : 32) * 4 * 2, files.count(), layer);
            }
        }
        BufferedImage crop = ImageIO.read(out.resolve("conv3_relu/c5-top0.png").toFile());
        assertEquals(64, crop.getWidth());
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("receptive field"), "the demo network's fields are known (an ONNX graph)");
        String chromium = System.getProperty("filtervis.chromium", "");
        org.junit.jupiter.api.Assumptions.assumeTrue(!chromium.isEmpty(), "set -Dfiltervis.chromium=/usr/bin/chromium (as .ci/run does) to render the page");
        List<String> flags = List.of("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--allow-file-access-from-files", "--virtual-time-budget=10000",
                "--user-data-dir=" + dir.resolve("chromium-profile"));
        String dom = CompareTest.chromium(chromium, flags, "--dump-dom", out.resolve("index.html").toUri().toString());
        // Per example its crop, and on hover the photo and its map.
        int images = (12 + 32) * 4 * 3;
        assertTrue(dom.contains("data-loaded=\"" + images + "\"") && dom.contains("data-failed=\"0\""), dom.substring(0, Math.min(600, dom.length())));
    }

    /** A PNG whose header declares 100,000 x 100,000 pixels (a decompression bomb): refused from the header. */
    private static byte[] bombPng() {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(100_000).putInt(100_000).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteBuffer chunk = ByteBuffer.allocate(12 + 13).putInt(13).put("IHDR".getBytes()).put(ihdr.array());
        CRC32 crc = new CRC32();
        crc.update(chunk.array(), 4, 17);
        chunk.putInt((int) crc.getValue());
        ByteBuffer png = ByteBuffer.allocate(8 + 25 + 12);
        png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}).put(chunk.array()).putInt(0).put("IEND".getBytes()).putInt(0xAE426082);
        return png.array();
    }

    @Test
    @SuppressWarnings("unchecked")
    void hostilePhotosAreSkippedByNameAndTheScanGoesOn() throws IOException {
        Files.write(photos.resolve("bomb.png"), bombPng());
        Files.write(photos.resolve("truncated.png"), java.util.Arrays.copyOf(Files.readAllBytes(photos.resolve("even/s0.png")), 120));
        Files.writeString(photos.resolve("readme.md"), "notes");
        Files.createSymbolicLink(photos.resolve("link.png"), photos.resolve("even/s0.png"));
        Files.createSymbolicLink(photos.resolve("loop"), photos);
        Cli r = examples(dir.resolve("h"));
        assertEquals(0, r.code(), r.err());
        Map<String, Object> json = (Map<String, Object>) JsLiteral.parse(Files.readString(dir.resolve("h/examples.json")));
        assertEquals(11, ((Number) json.get("images")).intValue());
        Map<String, String> why = new java.util.TreeMap<>();
        for (Object o : (List<Object>) json.get("skipped")) {
            why.put((String) ((Map<String, Object>) o).get("image"), (String) ((Map<String, Object>) o).get("reason"));
        }
        assertEquals(List.of("bomb.png", "link.png", "loop", "readme.md", "truncated.png"), List.copyOf(why.keySet()));
        assertTrue(why.get("bomb.png").contains("100000") || why.get("bomb.png").contains("megapixels"), why.get("bomb.png"));
        assertTrue(why.get("link.png").contains("symbolic link") && why.get("loop").contains("symbolic link"), why.toString());
        assertTrue(why.get("readme.md").contains("not a PNG or JPEG"), why.get("readme.md"));
    }

    @Test
    void badCommandsAreOneLineAndWriteNothing() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path out = dir.resolve("bad");
        String[][] cases = {
            {"--top", "0", "--top 0 is not 1 to 1000"},
            {"--bottom", "-1", "--bottom -1 is not 0 to 1000"},
            {"--reduce", "median", "--reduce median is not max or mean"},
            {"--layers", "logits", "without height and width"},
            {"--layers", "nope", "unknown"},
        };
        for (String[] c : cases) {
            Cli r = examples(out, c[0], c[1]);
            assertEquals(2, r.code(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.oneLineError() && r.err().contains(c[2]), String.join(" ", c) + ": " + r.err());
            assertFalse(Files.exists(out), "nothing written for " + c[0]);
        }
        Cli none = Cli.run("examples", "--model", ModelFiles.demoNetwork().toString(), "--layers", "gabor_relu", "--images", empty.toString(),
                "--out", out.toString());
        assertTrue(none.code() == 2 && none.oneLineError() && none.err().contains("no photo under"), none.err());
        assertFalse(Files.exists(out));
        Cli missing = Cli.run("examples", "--model", ModelFiles.demoNetwork().toString(), "--layers", "gabor_relu", "--images",
                dir.resolve("nowhere").toString(), "--out", out.toString());
        assertTrue(missing.code() == 2 && missing.err().contains("does not exist"), missing.err());
        Cli help = Cli.run("examples", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--reduce"), help.out());
    }
}
