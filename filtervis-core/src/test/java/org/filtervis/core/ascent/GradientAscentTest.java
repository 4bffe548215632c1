package org.filtervis.core.ascent;

import org.filtervis.core.io.PngSinks;
import org.filtervis.core.io.RunJsonSink;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.InputSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GradientAscentTest {
    static final InputSpec SPEC = new InputSpec("x", InputSpec.Layout.NCHW, 3, 20, 20);

    /**
     * objective = mean(relu(x * w_c)) with w_c a fixed per-filter pattern; filter 7 never fires
     * (its weights are zero) and filter 9 returns NaN from its third call on.
     */
    static final class Analytic extends AnalyticBase {
        static float weight(int filter, int i) {
            return filter == 7 ? 0 : (float) Math.sin(0.1 * (filter + 1) * i);
        }

        @Override
        public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
            calls++;
            int per = SPEC.elements();
            for (int n = 0; n < filters.length; n++) {
                double sum = 0;
                for (int i = 0; i < per; i++) {
                    float v = images[n * per + i] * weight(filters[n], i);
                    sum += Math.max(v, 0);
                    gradients[n * per + i] = v > 0 ? weight(filters[n], i) / per : 0;
                }
                objectives[n] = (float) (sum / per);
                if (filters[n] == 9 && calls >= 3) {
                    objectives[n] = Float.NaN;
                }
            }
        }
    }

    static List<FilterResult> run(int batch, List<Integer> filters, List<ImageSink> sinks) {
        return new GradientAscent(Recipe.keras(), batch).run(new Analytic(), "toy", filters, sinks, new GradientAscent.Listener() {});
    }

    @Test
    void batchedRunEqualsOneFilterAtATime() {
        List<FilterResult> batched = run(4, List.of(0, 1, 2, 3, 4), List.of());
        List<FilterResult> single = run(1, List.of(0, 1, 2, 3, 4), List.of());
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(single.get(i).image().rgb(), batched.get(i).image().rgb(), "filter " + i);
            assertArrayEquals(single.get(i).objectives(), batched.get(i).objectives());
        }
    }

    @Test
    void progressIsToldAfterEveryStepOfEveryBatch() {
        List<long[]> told = new ArrayList<>();
        new GradientAscent(Recipe.keras(), 2).run(new Analytic(), "toy", List.of(0, 1, 2), List.of(), new GradientAscent.Listener() {
            @Override
            public void stepDone(long done, long total, int steps) {
                told.add(new long[] {done, total, steps});
            }
        });
        assertEquals(60, told.size(), "30 steps of a batch of 2, then 30 of a batch of 1");
        assertArrayEquals(new long[] {2, 90, 30}, told.get(0));
        assertArrayEquals(new long[] {60, 90, 30}, told.get(29));
        assertArrayEquals(new long[] {61, 90, 30}, told.get(30));
        assertArrayEquals(new long[] {90, 90, 30}, told.get(59));
    }

    @Test
    void objectiveRisesAndEachStepRecordsIt() {
        FilterResult r = run(1, List.of(2), List.of()).get(0);
        assertEquals(30, r.objectives().length);
        assertTrue(r.objectives()[29] > 10 * r.objectives()[0], "the ascent climbs");
        assertEquals(FilterResult.Status.OK, r.status());
        assertEquals(14, r.image().width(), "20 px: a crop of round(20 * 25 / 180) = 3 per side");
    }

    @Test
    void flagsDeadAndNaNFilters() {
        List<FilterResult> r = run(3, List.of(7, 9, 1), List.of());
        assertEquals(FilterResult.Status.DEAD, r.get(0).status());
        assertEquals(FilterResult.Status.NAN, r.get(1).status());
        assertEquals(2, r.get(1).badStep());
        assertEquals(FilterResult.Status.OK, r.get(2).status());
    }

    /** A broken backend: filter 4's gradient vanishes from the fifth call on while it still fires. */
    static final class LosesGradient extends AnalyticBase {
        @Override
        public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
            new Analytic().compute(images, filters, objectives, gradients);
            if (++calls >= 5) {
                int per = SPEC.elements();
                for (int n = 0; n < filters.length; n++) {
                    if (filters[n] == 4) {
                        java.util.Arrays.fill(gradients, n * per, (n + 1) * per, 0f);
                    }
                }
            }
        }
    }

    /** Ten channels of the 20 px spec, nothing to close. */
    abstract static class AnalyticBase implements GradientProvider {
        int calls;

        @Override
        public int channels() {
            return 10;
        }

        @Override
        public InputSpec input() {
            return SPEC;
        }

        @Override
        public void close() {}
    }

    @Test
    void flagsAFiringFilterWhoseGradientIsAllZeroAndCrossesItOut() {
        List<FilterResult> r = new GradientAscent(Recipe.keras(), 4).run(new LosesGradient(), "toy", List.of(7, 4, 1), List.of(),
                new GradientAscent.Listener() {});
        assertEquals(FilterResult.Status.DEAD, r.get(0).status(), "zero gradient at objective 0: dead, as before");
        assertEquals(FilterResult.Status.ZERO_GRADIENT, r.get(1).status());
        assertEquals(4, r.get(1).badStep(), "the fifth call is step 4");
        assertEquals(FilterResult.Status.OK, r.get(2).status());
        FilterResult bad = r.get(1);
        int w = bad.image().width();
        assertEquals(255, PngSinks.shown(bad).red(0, 0));
        assertEquals(0, PngSinks.shown(bad).green(0, 0), "crossed out in red");
        assertEquals(255, PngSinks.shown(bad).red(0, w - 1));
        assertArrayEquals(r.get(2).image().rgb(), PngSinks.shown(r.get(2)).rgb(), "fine filters are shown as they are");
        java.util.Map<String, Object> json = RunJsonSink.toMap(new org.filtervis.api.RunRecord(java.util.Map.of(), r, java.util.Map.of()));
        assertEquals(List.of(4), ((java.util.Map<?, ?>) json.get("summary")).get("zero_gradient"));
        assertEquals("zero_gradient", ((java.util.Map<?, ?>) ((List<?>) json.get("filters")).get(1)).get("status"));
    }

    @Test
    void interruptedRunKeepsFinishedFilesAndNoPartialOne(@TempDir Path dir) throws IOException {
        List<ImageSink> sinks = new ArrayList<>();
        sinks.add(PngSinks.perFilter(dir));
        sinks.add(result -> {
            if (result.filter() == 2) {
                throw new IOException("interrupted");
            }
        });
        assertThrows(UncheckedIOException.class, () -> run(1, List.of(0, 1, 2, 3), sinks));
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("toy-0.png", "toy-1.png", "toy-2.png"), names);
        }
        for (int f = 0; f < 3; f++) {
            assertEquals(14, ImageIO.read(dir.resolve("toy-" + f + ".png").toFile()).getWidth());
        }
    }
}
