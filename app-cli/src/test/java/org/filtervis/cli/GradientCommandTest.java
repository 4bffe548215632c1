package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.filtervis.core.io.Npy;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code filtervis gradient}: one image per entry of --filters, repeats included. */
class GradientCommandTest {
    @TempDir
    Path dir;

    static float[] image(int seed) {
        float[] x = new float[3 * 24 * 24];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37 + seed) * 0.3f;
        }
        return x;
    }

    float[] gradient(String backend, String filters, float[]... images) throws IOException {
        int per = images[0].length;
        float[] all = new float[per * images.length];
        for (int i = 0; i < images.length; i++) {
            System.arraycopy(images[i], 0, all, i * per, per);
        }
        Path in = dir.resolve("x-" + filters + ".npy");
        Path out = dir.resolve("g-" + filters + ".npy");
        Npy.write(in, new long[] {images.length, 3, 24, 24}, all);
        Cli r = Cli.run("gradient", "--backend", backend, "--layer", "gabor_relu", "--filters", filters, "--input", in.toString(), "--output",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(images.length, r.out().strip().lines().count(), "one objective line per entry: " + r.out());
        return Npy.read(out).data();
    }

    @ParameterizedTest
    @ValueSource(strings = {"onnx", "tf", "djl"})
    void repeatedChannelsGetOneImageEachAndEqualSingleRuns(String backend) throws IOException {
        float[] a = image(1);
        float[] b = image(2);
        float[] batch = gradient(backend, "4,1,1,4", a, a, b, b);
        int per = a.length;
        float[][] want = {gradient(backend, "4", a), gradient(backend, "1", a), gradient(backend, "1", b), gradient(backend, "4", b)};
        for (int i = 0; i < 4; i++) {
            float[] got = Arrays.copyOfRange(batch, i * per, (i + 1) * per);
            assertTrue(Cli.relativeL2(got, want[i]) < 1e-5, backend + " entry " + i + ": " + Cli.relativeL2(got, want[i]));
        }
        assertTrue(Cli.relativeL2(want[1], want[2]) > 1e-3, "the two images of filter 1 differ, so their gradients must too");
        assertArrayEquals(batch, gradient(backend, "4,1,1,4", a, a, b, b), "the same bytes again");
    }
}
