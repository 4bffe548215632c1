package org.filtervis.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.filtervis.core.explain.Randomization;
import org.filtervis.graph.Graph;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The randomised copies of the demo network: the top blocks re-drawn cumulatively, the rest untouched, the same bytes every time. */
class RandomizedCopiesTest {
    @TempDir
    Path dir;

    @Test
    void theTopBlocksAreRedrawnCumulativelyAndTheSameEveryTime() throws Exception {
        Path model = ModelFiles.demoNetwork();
        Graph trained = OnnxFormat.read(model).graph;
        List<String> blocks = List.of("gabor_relu", "conv2_relu", "conv3_relu");
        List<Randomization.Level> levels = new RandomizedCopies().write(model, blocks, 3, 12, Files.createDirectories(dir.resolve("a")));
        List<List<org.filtervis.graph.Node>> groups = RandomizedCopies.blocks(trained, new java.util.HashSet<>(blocks));
        assertTrue(groups.size() >= 3, "the demo's weighted layers fall in at least 3 blocks: " + groups.size());
        assertEquals(groups.size(), levels.size());
        int total = groups.stream().mapToInt(List::size).sum();
        for (int l = 0; l < levels.size(); l++) {
            Randomization.Level level = levels.get(l);
            assertEquals(total, level.layersTotal());
            Graph g = OnnxFormat.read(level.file()).graph;
            int changed = 0;
            for (int b = 0; b < groups.size(); b++) {
                boolean top = b >= groups.size() - (l + 1);
                for (org.filtervis.graph.Node n : groups.get(b)) {
                    Tensor before = trained.initializers.get(n.input(1));
                    Tensor after = g.initializers.get(n.input(1));
                    assertArrayEquals(before.shape(), after.shape());
                    boolean same = java.util.Arrays.equals(before.floats(), after.floats());
                    assertEquals(!top, same, "block " + b + " of level " + l + ": re-drawn only when in the top " + (l + 1));
                    changed += same ? 0 : 1;
                }
            }
            assertEquals(level.layersRandomized(), changed);
        }
        List<Randomization.Level> again = new RandomizedCopies().write(model, blocks, 3, 12, Files.createDirectories(dir.resolve("b")));
        for (int l = 0; l < levels.size(); l++) {
            assertArrayEquals(Files.readAllBytes(levels.get(l).file()), Files.readAllBytes(again.get(l).file()), "level " + l + " the same bytes");
        }
        List<Randomization.Level> otherSeed = new RandomizedCopies().write(model, blocks, 4, 12, Files.createDirectories(dir.resolve("c")));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(levels.get(0).file()), Files.readAllBytes(otherSeed.get(0).file())));
        assertEquals(List.of(1, 2, 3), RandomizedCopies.levels(3, 12));
        assertEquals(List.of(1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18), RandomizedCopies.levels(18, 12));
    }
}
