package org.filtervis.core.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.junit.jupiter.api.Test;

/** The metrics' arithmetic on cases whose answers are known exactly. */
class FaithfulnessTest {
    static final int SIZE = 18;

    /** A scorer: each image's mean over its first channel, and how many calls it took. */
    static final class MeanScorer implements Faithfulness.Scorer {
        int calls;

        @Override
        public double[] scores(float[] images, int n) {
            calls++;
            int per = images.length / n;
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < SIZE * SIZE; p++) {
                    out[i] += images[i * per + p] / (SIZE * SIZE);
                }
            }
            return out;
        }
    }

    /** A 3-channel image of uniform values in [0, 1) from {@code seed}. */
    static float[] randomImage(long seed) {
        float[] x = new float[3 * SIZE * SIZE];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return x;
    }

    @Test
    void rankingIsDescendingWithTiesInIndexOrderAndSignedZerosEqual() {
        assertArrayEquals(new int[] {1, 3, 0, 2, 4}, Faithfulness.ranking(new float[] {0f, 5f, -0f, 2f, -1f}));
    }

    @Test
    void deletionReplacesTheRankedPixelsStepByStepInOneBatch() {
        float[] x = new float[3 * SIZE * SIZE];
        java.util.Arrays.fill(x, 1f);
        float[] map = new float[SIZE * SIZE];
        for (int p = 0; p < map.length; p++) {
            map[p] = p % 7; // many ties
        }
        MeanScorer s = new MeanScorer();
        Faithfulness.Curve del = Faithfulness.deletionOrInsertion(x, new float[x.length], map, SIZE, 4, true, s);
        Faithfulness.Curve ins = Faithfulness.deletionOrInsertion(x, new float[x.length], map, SIZE, 4, false, s);
        assertEquals(2, s.calls, "each curve is one batch");
        // 324 pixels in 4 steps: 0, 81, 162, 243, 324 removed.
        assertArrayEquals(new double[] {1, 0.75, 0.5, 0.25, 0}, del.scores(), 1e-7);
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, ins.scores(), 1e-7);
        assertEquals(0.5, del.auc(), 1e-7);
        assertEquals((0 + 0.25) / 2 / 4 + (0.25 + 0.5) / 2 / 4 + (0.5 + 0.75) / 2 / 4 + (0.75 + 1) / 2 / 4, ins.auc(), 1e-7);
    }

    @Test
    void aMapThatIsTheScoresOwnLinearContributionHasMuFidelityOne() {
        // score = mean of channel 0; the map is each pixel's contribution to it, so every subset's sum is its drop.
        float[] x = randomImage(3);
        float[] map = new float[SIZE * SIZE];
        for (int p = 0; p < map.length; p++) {
            map[p] = x[p] / (SIZE * SIZE);
        }
        Evaluation.Draws d = Evaluation.Draws.seeded(5, x.length, 64);
        MeanScorer s = new MeanScorer();
        double photo = s.scores(x, 1)[0];
        assertEquals(1.0, Faithfulness.muFidelity(x, new float[x.length], map, SIZE, d.subsets(), photo, s), 1e-6);
        float[] reversed = map.clone();
        for (int p = 0; p < map.length; p++) {
            reversed[p] = -map[p];
        }
        assertEquals(-1.0, Faithfulness.muFidelity(x, new float[x.length], reversed, SIZE, d.subsets(), photo, s), 1e-6);
        for (int[] subset : d.subsets()) {
            assertEquals(Faithfulness.CELLS_REMOVED, java.util.Arrays.stream(subset).distinct().count());
        }
    }

    @Test
    void imputationReproducesAPlaneInsideAndAveragesItsNeighbours() {
        float[] x = new float[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int xx = 0; xx < SIZE; xx++) {
                x[y * SIZE + xx] = 0.3f * y - 0.2f * xx + 1;
            }
        }
        boolean[] removed = new boolean[SIZE * SIZE];
        for (int y = 3; y < 12; y++) {
            for (int xx = 4; xx < 10; xx++) {
                removed[y * SIZE + xx] = true;
            }
        }
        float[] wiped = x.clone();
        for (int p = 0; p < wiped.length; p++) {
            wiped[p] = removed[p] ? 100 : wiped[p];
        }
        float[] filled = Faithfulness.impute(wiped, removed, SIZE);
        for (int p = 0; p < x.length; p++) {
            assertEquals(x[p], filled[p], 1e-5, "pixel " + p);
        }
        // A corner pixel alone: the weighted mean of its 3 neighbours (1/6, 1/6, 1/12 over 5/12).
        boolean[] corner = new boolean[SIZE * SIZE];
        corner[0] = true;
        float[] one = x.clone();
        one[0] = 50;
        double expected = (x[1] / 6.0 + x[SIZE] / 6.0 + x[SIZE + 1] / 12.0) / (5 / 12.0);
        assertEquals(expected, Faithfulness.impute(one, corner, SIZE)[0], 1e-6);
    }

    @Test
    void evaluationIsTheSameNumbersEveryTimeAndSaysWhatWasAsked() {
        float[] x = randomImage(11);
        float[] map = java.util.Arrays.copyOf(x, SIZE * SIZE);
        Evaluation.Settings s = new Evaluation.Settings(Evaluation.parse("all"), 10, "blur", 16, 3);
        Map<String, Object> a = Evaluation.evaluate(s, Evaluation.Draws.seeded(3, x.length, 16), x, SIZE, map, map, xp -> java.util.Arrays.copyOf(xp, SIZE * SIZE),
                new MeanScorer());
        Map<String, Object> b = Evaluation.evaluate(s, Evaluation.Draws.seeded(3, x.length, 16), x, SIZE, map, map, xp -> java.util.Arrays.copyOf(xp, SIZE * SIZE),
                new MeanScorer());
        assertEquals(a, b);
        assertEquals(List.of("deletion_auc", "deletion_curve", "insertion_auc", "insertion_curve", "mufidelity", "road_morf", "road_lerf", "road",
                "sensitivity_max"), List.copyOf(a.keySet()));
        // The map is the image itself: a perturbation of radius 0.02 moves it by at most 0.02 per pixel.
        double norm = 0;
        for (int p = 0; p < SIZE * SIZE; p++) {
            norm += (double) map[p] * map[p];
        }
        double bound = 0.02 * SIZE / Math.sqrt(norm);
        double sens = (double) a.get("sensitivity_max");
        assertTrue(sens > 0 && sens <= bound, sens + " against " + bound);
        assertThrows(FiltervisException.class, () -> Evaluation.parse("deletion,faith"));
        assertThrows(FiltervisException.class, () -> new Evaluation.Settings(List.of(), 0, "zero", 16, 0));
        assertThrows(FiltervisException.class, () -> new Evaluation.Settings(List.of(), 10, "grey", 16, 0));
    }
}
