package org.filtervis.core;

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
        assertEquals(new Objective.Channel("mixed4", null), ObjectiveParser.parse("channel(mixed4, f)"));
        assertEquals(new Objective.Sum(List.of(new Objective.Weighted(1, new Objective.Channel("a/b", 3)),
                new Objective.Weighted(-100, new Objective.DeepDream("x, y (z)")), new Objective.Weighted(2.5e-3, new Objective.TotalVariation()))),
                ObjectiveParser.parse(" channel( a/b , 3 ) - 100*deepdream('x, y (z)') + 2.5e-3 * tv() "));
        assertEquals(new Objective.Neuron("L", null, 4, 5), ObjectiveParser.parse("neuron(L, f, 4, 5)"));
        assertEquals(new Objective.Sum(List.of(new Objective.Weighted(-1, new Objective.L1()))), ObjectiveParser.parse("-l1()"));
        assertEquals(new Objective.Logit("logits", 7), ObjectiveParser.parse("LOGIT(logits,7)"));
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
        assertMessage("alignment(L)", "alignment is not implemented yet");
        assertMessage("", "expected an objective name");
    }

    static void assertMessage(String text, String phrase) {
        FiltervisException e = assertThrows(FiltervisException.class, () -> ObjectiveParser.parse(text), text);
        assertTrue(e.usage() && e.getMessage().contains(phrase), text + ": " + e.getMessage());
    }
}
