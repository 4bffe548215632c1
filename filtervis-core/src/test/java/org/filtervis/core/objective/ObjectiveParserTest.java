package org.filtervis.core.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Objective;
import org.junit.jupiter.api.Test;

class ObjectiveParserTest {
    @Test
    void readsTheGrammar() {
        assertEquals(new Objective.Channel("mixed4", null, 0), ObjectiveParser.parse("channel(mixed4, f)"));
        assertEquals(new Objective.Channel("mixed4", 5, 2), ObjectiveParser.parse("channel_interior(mixed4, 5)"));
        assertEquals(new Objective.Sum(List.of(new Objective.Weighted(1, new Objective.Channel("a/b", 3, 0)),
                new Objective.Weighted(-100, new Objective.DeepDream("x, y (z)")), new Objective.Weighted(2.5e-3, new Objective.TotalVariation()))),
                ObjectiveParser.parse(" channel( a/b , 3 ) - 100*deepdream('x, y (z)') + 2.5e-3 * tv() "));
        assertEquals(new Objective.Neuron("L", null, 4, 5), ObjectiveParser.parse("neuron(L, f, 4, 5)"));
        assertEquals(new Objective.Sum(List.of(new Objective.Weighted(-1, new Objective.L1()))), ObjectiveParser.parse("-l1()"));
        assertEquals(new Objective.Logit("logits", 7), ObjectiveParser.parse("LOGIT(logits,7)"));
        assertEquals(new Objective.ChannelInterpolate("L", 3, "L", 9), ObjectiveParser.parse("channel_interpolate(L, 3, 9)"));
        assertEquals(new Objective.ChannelInterpolate("A", 3, "B", 9), ObjectiveParser.parse("channel_interpolate(A, 3, B, 9)"));
        assertEquals(new Objective.Alignment("L", 2), ObjectiveParser.parse("alignment(L)"));
        assertEquals(new Objective.Alignment("L", 1.5), ObjectiveParser.parse("alignment(L, 1.5)"));
    }

    @Test
    void malformedExpressionsNameThePositionAndWhatWasExpected() {
        assertMessage("channel(L, f", "expected ',' or ')'");
        assertMessage("channel(L, f) * 2", "at position 14 of 'channel(L, f) * 2': expected '+', '-' or the end");
        assertMessage("3 channel(L, f)", "at position 2 of '3 channel(L, f)': expected '*' after the number");
        assertMessage("chanel(L, f)", "unknown objective 'chanel'; available: channel(L, c)");
        assertMessage("channel(L)", "channel takes 2 arguments, not 1");
        assertMessage("channel(L, x)", "'x' is not an integer (or f, the image's filter)");
        assertMessage("deepdream('L)", "expected a closing quote");
        assertMessage("alignment(L, 0)", "0 is out of range; use a number from 0.001 to 1000.0");
        assertMessage("alignment(L, x)", "'x' is not a number");
        assertMessage("channel_interpolate(L, 1)", "channel_interpolate takes (L, c1, c2) or (L1, c1, L2, c2), not 2 arguments");
        assertMessage("direction_cosine(L, v.npy)", "direction_cosine takes 3 arguments, not 2");
        assertMessage("", "expected an objective name");
    }

    static void assertMessage(String text, String phrase) {
        FiltervisException e = assertThrows(FiltervisException.class, () -> ObjectiveParser.parse(text), text);
        assertTrue(e.usage() && e.getMessage().contains(phrase), text + ": " + e.getMessage());
    }
}
