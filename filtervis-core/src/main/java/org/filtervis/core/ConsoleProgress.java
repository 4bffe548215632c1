package org.filtervis.core;

import java.io.PrintStream;
import org.filtervis.api.FilterResult;

/**
 * Progress on stderr: a bar redrawn in place on a terminal (filters done/total, filters per
 * second, time left), one plain line per filter otherwise. Dead and NaN filters are always told.
 */
public final class ConsoleProgress implements GradientAscent.Listener {
    private final PrintStream err;
    private final boolean terminal;
    private final boolean quiet;
    private final long start = System.nanoTime();

    public ConsoleProgress(PrintStream err, boolean terminal, boolean quiet) {
        this.err = err;
        this.terminal = terminal;
        this.quiet = quiet;
    }

    @Override
    public void filterDone(FilterResult r, int done, int total) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        long left = Math.round((total - done) / rate);
        String flag = switch (r.status()) {
            case DEAD -> "filter " + r.filter() + " is dead: its objective never rose above 0, the image is noise";
            case NAN -> "filter " + r.filter() + " turned NaN/Inf at step " + r.badStep() + "; its image stops there";
            case ZERO_GRADIENT -> "filter " + r.filter() + " has a positive objective but an all-zero gradient at step " + r.badStep()
                    + ": the backend returned no gradient (try another --backend); its image is not a visualization";
            case OK -> null;
        };
        if (terminal && !quiet) {
            if (flag != null) {
                err.print("\r\033[K");
                err.println("warning: " + flag);
            }
            int width = 30;
            int filled = width * done / total;
            err.printf("\r[%s%s] %d/%d filters  %.2f filters/s  %ds left", "#".repeat(filled), ".".repeat(width - filled), done, total, rate, left);
            if (done == total) {
                err.println();
            }
        } else if (!quiet) {
            err.printf("filter %d done (%d/%d, %.2f filters/s, %ds left)%s%n", r.filter(), done, total, rate, left,
                    flag == null ? "" : ": warning: " + flag);
        } else if (flag != null) {
            err.println("warning: " + flag);
        }
        err.flush();
    }
}
