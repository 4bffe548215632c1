package org.filtervis.core.ascent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.filtervis.api.FilterResult;
import org.filtervis.api.RgbImage;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
    static FilterResult result(int filter, FilterResult.Status status) {
        return new FilterResult("l", filter, new RgbImage(1, 1, new byte[3]), new float[] {0}, status, status == FilterResult.Status.NAN ? 4 : -1, false);
    }

    static String run(boolean terminal, boolean quiet) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, quiet);
        // One batch of three filters, 2 steps each: the bar moves with the steps, then the filters finish.
        p.stepDone(3, 6, 2);
        p.stepDone(6, 6, 2);
        p.filterDone(result(0, FilterResult.Status.OK), 1, 3);
        p.filterDone(result(1, FilterResult.Status.DEAD), 2, 3);
        p.filterDone(result(2, FilterResult.Status.NAN), 3, 3);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void terminalGetsABarRedrawnInPlace() {
        String out = run(true, false);
        assertTrue(out.contains("\r[###############...............] 0/3 filters"), "half the steps, no filter finished yet: " + out);
        assertTrue(out.contains("\r[##############################] 1/3 filters"), out);
        assertTrue(out.contains("] 3/3 filters") && out.contains("filters/s") && out.contains("s left"), out);
        assertTrue(out.contains("warning: filter 1 is dead") && out.contains("warning: filter 2 turned NaN/Inf at step 4"), out);
    }

    @Test
    void pipeGetsPlainLines() {
        String out = run(false, false);
        assertEquals(3, out.lines().count(), out);
        assertTrue(!out.contains("\r") && out.startsWith("filter 0 done (1/3"), out);
    }

    @Test
    void quietKeepsOnlyTheWarnings() {
        String out = run(true, true);
        assertEquals(2, out.lines().count(), out);
        assertTrue(out.lines().allMatch(l -> l.startsWith("warning: ")), out);
    }
}
