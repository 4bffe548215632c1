package org.filtervis.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SPI contract every backend passes, whatever its model format (it needs no ONNX): the model
 * describes its input and layers, the layer's gradient equals central finite differences of its
 * objectives and is nonzero, every call gives the same bytes, images in a batch do not see each
 * other, and an unknown layer is a usage error. The backend supplies a model file and a layer
 * whose objective is smooth near the test images (no ReLU kinks), with at least two filters.
 */
public abstract class BackendContract {
    /** The backend under test. */
    protected abstract ModelBackend backend();

    /** A model file the backend opens, written into {@code dir}. */
    protected abstract Path model(Path dir) throws IOException;

    /** A layer of that model with a smooth objective and at least two filters. */
    protected abstract String layer();

    /** The image side the tests use. */
    protected int size() {
        return 8;
    }

    @TempDir
    Path dir;

    /** Two images of distinct values in [-1, 1], none closer to 0 than 0.05. */
    float[] images(InputSpec spec) {
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[2 * spec.elements()];
        for (int i = 0; i < x.length; i++) {
            double u = r.nextDouble(0.05, 1);
            x[i] = (float) (r.nextBoolean() ? u : -u);
        }
        return x;
    }

    @Test
    public void describesItsInputAndLayers() throws IOException {
        try (Model model = backend().open(model(dir)); GradientProvider p = model.gradients(layer(), size(), size())) {
            InputSpec in = p.input();
            assertTrue(in.channels() > 0 && in.height() == size() && in.width() == size(), "the input at the size asked: " + in);
            LayerInfo info = model.layers(size(), size()).stream().filter(l -> l.name().equals(layer())).findFirst().orElseThrow(
                    () -> new AssertionError(layer() + " is not among the listed layers"));
            assertEquals(p.channels(), info.channels(), "the listed channel count is the provider's");
            assertTrue(p.channels() >= 2 && p.maxBatch() >= 1, "channels " + p.channels() + ", largest batch " + p.maxBatch());
        }
    }

    @Test
    public void gradientMatchesFiniteDifferences() throws IOException {
        try (Model model = backend().open(model(dir)); GradientProvider p = model.gradients(layer(), size(), size())) {
            float[] x = images(p.input());
            int[] filters = {0, 1};
            float[] grad = new float[x.length];
            float[] objectives = new float[2];
            p.compute(x, filters, objectives, grad);
            assertTrue(Float.isFinite(objectives[0]) && Float.isFinite(objectives[1]), Arrays.toString(objectives));
            float[] fd = BackendTesting.finiteDifferences(p, x, filters, 1e-2f);
            assertTrue(BackendTesting.sum(OperatorContract.abs(grad)) > 0, "the gradient is nonzero");
            double err = BackendTesting.relativeError(grad, fd);
            assertTrue(err < 1e-2, "relative L2 error against central finite differences " + err);
        }
    }

    @Test
    public void sameBytesEveryTime() throws IOException {
        try (Model model = backend().open(model(dir)); GradientProvider p = model.gradients(layer(), size(), size())) {
            float[] x = images(p.input());
            int[] filters = {1, 0};
            float[] g1 = new float[x.length];
            float[] o1 = new float[2];
            p.compute(x, filters, o1, g1);
            for (int run = 0; run < 3; run++) {
                float[] g = new float[x.length];
                float[] o = new float[2];
                p.compute(x, filters, o, g);
                assertArrayEquals(o1, o, "objectives, run " + run);
                assertArrayEquals(g1, g, "gradients, run " + run);
            }
        }
    }

    @Test
    public void imagesInABatchDoNotSeeEachOther() throws IOException {
        try (Model model = backend().open(model(dir)); GradientProvider p = model.gradients(layer(), size(), size())) {
            float[] x = images(p.input());
            int per = p.input().elements();
            float[] both = new float[x.length];
            float[] pair = new float[2];
            p.compute(x, new int[] {0, 1}, pair, both);
            float[] second = Arrays.copyOfRange(x, per, 2 * per);
            float[] alone = new float[per];
            float[] one = new float[1];
            p.compute(second, new int[] {1}, one, alone);
            assertEquals(pair[1], one[0], 1e-5 * Math.max(1, Math.abs(one[0])), "the second image's objective alone and in the batch");
            double err = BackendTesting.relativeError(Arrays.copyOfRange(both, per, 2 * per), alone);
            assertTrue(err < 1e-5, "the second image's gradient alone and in the batch: relative error " + err);
        }
    }

    @Test
    public void unknownLayerIsAUsageError() throws IOException {
        try (Model model = backend().open(model(dir))) {
            FiltervisException e = assertThrows(FiltervisException.class, () -> model.gradients("no such layer", size(), size()).close());
            assertTrue(e.usage() && e.getMessage().contains("no such layer") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
