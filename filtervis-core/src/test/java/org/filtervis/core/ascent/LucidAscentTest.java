package org.filtervis.core.ascent;

import org.filtervis.core.RunEngine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.core.lucid.LucidRecipe;
import org.filtervis.core.lucid.Transforms;
import org.junit.jupiter.api.Test;

/** The Lucid driver on a smooth toy objective: it climbs, repeats itself to the byte, and batching changes nothing. */
class LucidAscentTest {
    /** Filter f's objective: the mean of channel f % 3 minus half the mean of the others (0 on gray), on an NHWC input of 24 px. */
    static final class Colours implements GradientProvider {
        final InputSpec spec = new InputSpec("x", InputSpec.Layout.NHWC, 3, 24, 24);

        @Override
        public int channels() {
            return 6;
        }

        @Override
        public InputSpec input() {
            return spec;
        }

        @Override
        public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
            int per = spec.elements();
            int pixels = 24 * 24;
            for (int n = 0; n < filters.length; n++) {
                double sum = 0;
                for (int i = 0; i < per; i++) {
                    double w = i % 3 == filters[n] % 3 ? 1.0 / pixels : -0.5 / pixels;
                    sum += w * images[n * per + i];
                    gradients[n * per + i] = (float) w;
                }
                objectives[n] = (float) sum;
            }
        }

        @Override
        public void close() {}
    }

    static Recipe recipe(int steps) {
        return new Recipe(steps, 0.05f, 3, 0, new LucidRecipe(true, true, Transforms.standard(), true, InputRange.UNIT, 32));
    }

    @Test
    void climbsRepeatsAndIgnoresBatching() {
        List<Integer> filters = List.of(0, 1, 2, 5);
        List<FilterResult> together = new GradientAscent(recipe(80), 4).run(new Colours(), "colours", filters, List.of(), new GradientAscent.Listener() {});
        List<FilterResult> again = new GradientAscent(recipe(80), 4).run(new Colours(), "colours", filters, List.of(), new GradientAscent.Listener() {});
        List<FilterResult> alone = new GradientAscent(recipe(80), 1).run(new Colours(), "colours", filters, List.of(), new GradientAscent.Listener() {});
        for (int i = 0; i < filters.size(); i++) {
            FilterResult r = together.get(i);
            float[] o = r.objectives();
            assertEquals(FilterResult.Status.OK, r.status(), "filter " + r.filter() + ": " + java.util.Arrays.toString(o));
            assertTrue(o[o.length - 1] > o[0] + 0.01, "filter " + r.filter() + " climbs: " + o[0] + " to " + o[o.length - 1]);
            assertTrue(r.cleanObjective() > 0.01, "the final image itself excites it: " + r.cleanObjective());
            assertEquals(32, r.image().width(), "the optimized image's own size");
            assertArrayEquals(r.image().rgb(), again.get(i).image().rgb(), "the same bytes every run");
            assertArrayEquals(r.image().rgb(), alone.get(i).image().rgb(), "the same bytes in a batch of 4 or alone");
            assertArrayEquals(o, alone.get(i).objectives());
        }
        // Filter 0 maximizes red less the others: the image's red dominates.
        var img = together.get(0).image();
        long red = 0;
        long green = 0;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                red += img.red(y, x);
                green += img.green(y, x);
            }
        }
        assertTrue(red > 1.2 * green, "red " + red + ", green " + green);
    }

    @Test
    void runEngineRecordsTheImagePipelinesShare() {
        RunEngine.Result r = RunEngine.run(new Colours(), "colours", List.of(0), recipe(3), 1, java.util.Map.of(), 0, List.of(),
                new GradientAscent.Listener() {});
        double share = r.record().timings().get("image_pipeline_share");
        assertTrue(share > 0 && share <= 1, "share " + share);
    }
}
