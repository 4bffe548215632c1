package org.filtervis.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.filtervis.api.FilterResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VisualizeDemoTest {
    @Test
    void theExampleRendersEveryFilterOfTheDemo(@TempDir Path dir) throws Exception {
        var result = VisualizeDemo.run(dir);
        assertEquals(12, result.filters().size());
        assertTrue(result.filters().stream().allMatch(f -> f.status() == FilterResult.Status.OK), "every demo filter fires");
        var grid = ImageIO.read(dir.resolve("grid.png").toFile());
        assertEquals(4 * 46 + 5 * 5, grid.getWidth(), "4 columns of 46 px tiles (64 px, 9 px crop per side)");
        try (var files = java.nio.file.Files.list(dir.resolve("filters"))) {
            assertEquals(12, files.count(), "the standard sinks wrote each filter");
        }
        assertTrue(java.nio.file.Files.readString(dir.resolve("run.json")).contains("\"filters_per_second\""), "and the run record");
        VisualizeDemo.main(new String[] {dir.resolve("main").toString()});
        // The same job twice: the same bytes.
        assertTrue(java.util.Arrays.equals(java.nio.file.Files.readAllBytes(dir.resolve("grid.png")),
                java.nio.file.Files.readAllBytes(dir.resolve("main/grid.png"))), "main wrote the same grid");
    }
}
