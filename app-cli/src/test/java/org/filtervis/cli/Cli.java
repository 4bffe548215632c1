package org.filtervis.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.core.io.Npy;

/** Runs the CLI in this JVM and captures what it prints. */
record Cli(int code, String out, String err) {
    static Cli run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Filtervis.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Runs {@code filtervis gradient ARGS --input X --output G} with onnx, tf and djl on one smooth
     * input batch of {@code shape} (written into {@code dir}); returns tf's and djl's relative L2
     * differences from onnx's gradient. A backend that fails is an error, with what it printed.
     */
    static Map<String, Double> gradientDifferencesFromOnnx(Path dir, long[] shape, String... args) throws IOException {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        float[] x = new float[(int) count];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 0.3f;
        }
        Path in = dir.resolve("x.npy");
        Npy.write(in, shape, x);
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (String backend : new String[] {"onnx", "tf", "djl"}) {
            Path out = dir.resolve("g-" + backend + ".npy");
            List<String> all = new ArrayList<>(List.of("gradient", "--backend", backend));
            all.addAll(List.of(args));
            all.addAll(List.of("--input", in.toString(), "--output", out.toString()));
            Cli r = run(all.toArray(String[]::new));
            if (r.code() != 0) {
                throw new AssertionError(backend + " failed (exit " + r.code() + "): " + r.err());
            }
            grads.put(backend, Npy.read(out).data());
        }
        Map<String, Double> differences = new LinkedHashMap<>();
        for (String backend : new String[] {"tf", "djl"}) {
            differences.put(backend, relativeL2(grads.get(backend), grads.get("onnx")));
        }
        return differences;
    }

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

    /** The largest difference of two images of one size, in 8-bit levels over all channels. */
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
