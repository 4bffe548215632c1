package org.filtervis.core.ascent;

import java.io.PrintStream;
import org.filtervis.api.FilterResult;

/**
 * Progress on stderr: on a terminal, a bar redrawn in place after every step (filters done,
 * filters per second, time left, from the steps done so far, so it moves during a batch); one
 * plain line per filter otherwise. Dead, NaN and gradient-less filters are always told.
 */
public final class ConsoleProgress implements GradientAscent.Listener {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final boolean terminal;
    private final boolean quiet;
    private final long start = System.nanoTime();
    private long stepsDone;
    private long stepsTotal;
    private int steps = 1;
    private int filtersDone;
    private int filtersTotal;

    public ConsoleProgress(PrintStream err, boolean terminal, boolean quiet) {
        this.err = err;
        this.terminal = terminal;
        this.quiet = quiet;
    }

    @Override
    public void stepDone(long done, long total, int stepsPerFilter) {
        stepsDone = done;
        stepsTotal = total;
        steps = Math.max(1, stepsPerFilter);
        filtersTotal = (int) (total / steps);
        if (terminal && !quiet) {
            drawBar();
        }
    }

    /** Filters per second and seconds left, from image-steps done (or filters done, without steps). */
    private double[] rateAndLeft() {
        double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
        double done = stepsTotal > 0 ? stepsDone / (double) steps : filtersDone;
        double total = stepsTotal > 0 ? stepsTotal / (double) steps : filtersTotal;
        double rate = done / seconds;
        return new double[] {rate, rate > 0 ? (total - done) / rate : 0};
    }

    private void drawBar() {
        double[] r = rateAndLeft();
        double fraction = stepsTotal > 0 ? stepsDone / (double) stepsTotal : filtersDone / (double) Math.max(1, filtersTotal);
        int filled = (int) (WIDTH * fraction);
        err.printf("\r[%s%s] %d/%d filters  %.2f filters/s  %ds left", "#".repeat(filled), ".".repeat(WIDTH - filled), filtersDone, filtersTotal,
                r[0], Math.round(r[1]));
        err.flush();
    }

    @Override
    public void filterDone(FilterResult r, int done, int total) {
        filtersDone = done;
        filtersTotal = total;
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
            drawBar();
            if (done == total) {
                err.println();
            }
        } else if (!quiet) {
            double[] rate = rateAndLeft();
            err.printf("filter %d done (%d/%d, %.2f filters/s, %ds left)%s%n", r.filter(), done, total, rate[0], Math.round(rate[1]),
                    flag == null ? "" : ": warning: " + flag);
        } else if (flag != null) {
            err.println("warning: " + flag);
        }
        err.flush();
    }
}
