package org.filtervis.core.photos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A partition's result stored and read back whole; a changed partition, a damaged file or a foreign object is not reused. */
class ScanPartsTest {
    @TempDir
    Path dir;

    static ExamplesJob.Result result() {
        TopK[] top = {new TopK(2, true)};
        TopK[] bottom = {new TopK(1, false)};
        top[0].offer(new TopK.Example("a/p1.png", 3f, 1, 2));
        top[0].offer(new TopK.Example("a/p2.png", 5f, 0, 0));
        bottom[0].offer(new TopK.Example("a/p1.png", 3f, 1, 2));
        Map<String, ExamplesJob.Scanned> layers = new LinkedHashMap<>();
        layers.put("L", new ExamplesJob.Scanned(new long[] {1, 4, 4}, top, bottom));
        List<Map<String, Object>> skipped = new ArrayList<>();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("image", "notes.txt");
        s.put("reason", "not a PNG or JPEG file");
        skipped.add(s);
        return new ExamplesJob.Result(2, skipped, layers);
    }

    @Test
    void storedReadBackAndOnlyWhole() throws Exception {
        ScanParts parts = ScanParts.of(dir, "settings");
        ScanParts.Chunk c = new ScanParts.Chunk(0, List.of("a/p1.png", "a/p2.png"));
        parts.save(c, result());
        ExamplesJob.Result back = parts.load(c).orElseThrow();
        assertEquals(2, back.images());
        assertEquals("notes.txt", back.skipped().get(0).get("image"));
        assertEquals(List.of("a/p2.png", "a/p1.png"), back.layers().get("L").top()[0].best().stream().map(TopK.Example::image).toList());
        assertTrue(parts.load(new ScanParts.Chunk(0, List.of("a/p1.png"))).isEmpty(), "another partition's photos: not this part");
        assertTrue(ScanParts.of(dir, "other settings").load(c).isEmpty(), "other settings: another key");
        Path file;
        try (var s = Files.walk(dir)) {
            file = s.filter(p -> p.toString().endsWith(".part")).findFirst().orElseThrow();
        }
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertTrue(parts.load(c).isEmpty(), "a damaged part is scanned again");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(bytes)) {
            o.writeObject(new java.util.Date());
        }
        Files.write(file, bytes.toByteArray());
        assertTrue(parts.load(c).isEmpty(), "a foreign object is refused");
    }
}
