package org.filtervis.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in this JVM and captures what it prints. */
record Cli(int code, String out, String err) {
    static Cli run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Filtervis.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The largest difference of two images of one size, in 8-bit levels over all channels. */
    /** |got - want| / |want| in L2; infinite when want is all zero (nothing to compare is a failure). */
    static double relativeL2(float[] got, float[] want) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.length; i++) {
            num += Math.pow(got[i] - (double) want[i], 2);
            den += Math.pow(want[i], 2);
        }
        return den > 0 ? Math.sqrt(num / den) : Double.POSITIVE_INFINITY;
    }

    static int maxLevelDifference(java.awt.image.BufferedImage a, java.awt.image.BufferedImage b) {
        int worst = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                for (int shift = 0; shift < 24; shift += 8) {
                    worst = Math.max(worst, Math.abs((a.getRGB(x, y) >> shift & 0xff) - (b.getRGB(x, y) >> shift & 0xff)));
                }
            }
        }
        return worst;
    }

    /** The error output is one line, with no stack trace. */
    boolean oneLineError() {
        return err.strip().lines().count() == 1 && !err.contains("\tat ") && !err.contains("Exception");
    }
}
