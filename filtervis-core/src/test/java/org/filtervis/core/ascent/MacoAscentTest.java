package org.filtervis.core.ascent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.filtervis.api.FilterResult;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.core.lucid.MacoRecipe;
import org.junit.jupiter.api.Test;

/** The MaCo driver on the toy colour objective: it climbs, repeats itself to the byte, and how crops are batched changes nothing. */
class MacoAscentTest {
    static Recipe recipe(int steps) {
        return Recipe.maco(steps, 1f, 5, new MacoRecipe(6, 32, MacoRecipe.NOISE, InputRange.UNIT, null));
    }

    @Test
    void climbsRepeatsAndIgnoresHowCropsAreBatched() {
        List<Integer> filters = List.of(0, 2);
        List<FilterResult> first = new GradientAscent(recipe(40), 16).run(new LucidAscentTest.Colours(), "colours", filters, List.of(),
                new GradientAscent.Listener() {});
        List<FilterResult> again = new GradientAscent(recipe(40), 16).run(new LucidAscentTest.Colours(), "colours", filters, List.of(),
                new GradientAscent.Listener() {});
        List<FilterResult> inFours = new GradientAscent(recipe(40), 4).run(new LucidAscentTest.Colours(), "colours", filters, List.of(),
                new GradientAscent.Listener() {});
        for (int i = 0; i < filters.size(); i++) {
            FilterResult r = first.get(i);
            float[] o = r.objectives();
            assertEquals(FilterResult.Status.OK, r.status());
            assertTrue(r.cleanObjective() > 0.02, "filter " + r.filter() + ": the image itself excites it: " + r.cleanObjective());
            assertTrue(o[o.length - 1] > o[0] + 0.02, "filter " + r.filter() + " climbs: " + o[0] + " to " + o[o.length - 1]);
            assertEquals(32, r.image().width(), "the buffer's own size");
            assertArrayEquals(r.image().rgb(), again.get(i).image().rgb(), "the same bytes every run");
            assertArrayEquals(r.transparency(), again.get(i).transparency(), "the same transparency every run");
            assertArrayEquals(r.image().rgb(), inFours.get(i).image().rgb(), "the same bytes with crops in batches of 4 or 6");
            float max = 0;
            for (float a : r.transparency()) {
                assertTrue(a >= 0 && a <= 1);
                max = Math.max(max, a);
            }
            assertEquals(1f, max, "the transparency is scaled to 1");
        }
    }
}
