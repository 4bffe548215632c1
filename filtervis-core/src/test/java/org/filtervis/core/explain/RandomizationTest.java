package org.filtervis.core.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RandomizationTest {
    @Test
    void spearmanRanksTiesByTheirMeanRank() {
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Randomization.ranks(new float[] {0, 3, 3, 7}));
        assertArrayEquals(new double[] {2.5, 2.5, 1}, Randomization.ranks(new float[] {0f, -0f, -1f}));
        assertEquals(1.0, Randomization.spearman(new float[] {1, 5, 2, 9}, new float[] {10, 50.5f, 20, 1e6f}), 1e-12, "any increasing map");
        assertEquals(-1.0, Randomization.spearman(new float[] {1, 5, 2, 9}, new float[] {4, 2, 3, 1}), 1e-12);
        // By hand: ranks (1, 2.5, 2.5, 4, 5) and (2, 1, 4.5, 4.5, 3), centred products 3.75 over sqrt(9.5 * 9.5).
        assertEquals(3.75 / 9.5, Randomization.spearman(new float[] {1, 2, 2, 3, 5}, new float[] {2, 1, 4, 4, 3}), 1e-12);
        assertTrue(Double.isNaN(Randomization.spearman(new float[] {1, 1, 1}, new float[] {1, 2, 3})), "a constant map has no ranks to compare");
    }

    @Test
    void theVerdictReadsTheFirstLevelWithHalfTheLayersRandom() {
        List<Map<String, Object>> rho = List.of(Map.of("layers_randomized", 1, "spearman", 0.9), Map.of("layers_randomized", 5, "spearman", 0.7),
                Map.of("layers_randomized", 10, "spearman", 0.2));
        assertFalse(Randomization.dependsOnWeights(rho, 10), "rho 0.7 with 5 of 10 layers random");
        assertTrue(Randomization.dependsOnWeights(rho, 12), "6 of 12 first reached at the last level: rho 0.2");
    }
}
