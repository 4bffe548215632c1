package org.filtervis.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.Tensor;
import org.filtervis.testkit.BackendTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the ONNX backend does for speed keeps the gradients exact. */
class OnnxGradientModelTest {
    @TempDir
    Path dir;

    /**
     * The ReLU mask is computed as clip(2^100 * y, 0, 1) to stay in ONNX Runtime's blocked layout:
     * it must still be exactly 0 at 0 and exactly 1 at tiny positive outputs.
     */
    @Test
    void reluMaskIsExactAtZeroAndAtTinyPositives() {
        // A 1x1 Conv copies image channel 0 into 16 channels (so the ReLU runs blocked), then ReLU.
        GraphBuilder b = new GraphBuilder("relu", 17);
        String x = b.input("x", 1L, 3L, 4L, 4L);
        float[] copy = new float[16 * 3];
        for (int o = 0; o < 16; o++) {
            copy[o * 3] = 1f;
        }
        String layer = b.node("Relu", "r", List.of(b.node("Conv", "c", List.of(x, b.weight("w", Tensor.ofFloats(new long[] {16, 3, 1, 1}, copy))))));
        float[] values = {0f, 1e-30f, 1e-20f, -1e-20f, 2f, -3f, 0.5f, -0f};
        float[] input = new float[3 * 16];
        for (int i = 0; i < 16; i++) {
            input[i] = values[i % values.length];
        }
        try (Model model = BackendTesting.open(OnnxTestBackend.INSTANCE, b.output(layer), dir);
                GradientProvider p = model.gradients(layer, 4, 4)) {
            float[] grad = new float[input.length];
            p.compute(input, new int[] {5}, new float[1], grad);
            for (int i = 0; i < input.length; i++) {
                float expected = i < 16 && input[i] > 0 ? 1f / 16 : 0f;
                assertEquals(expected, grad[i], 0f, "gradient at " + i + " (input " + input[i] + ")");
            }
        }
    }

    /**
     * A batch split over one single-threaded session per thread (sizes 2 and 3 here) gives what one
     * session gives for the whole batch, with {@link GradientProvider#prepare} called first or not.
     */
    @Test
    void splitBatchMatchesOneSession() {
        OnnxModel net = smallNet();
        int n = 5;
        float[] images = new float[n * 3 * 12 * 12];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) (r.nextDouble() - 0.5);
        }
        int[] filters = {0, 3, 7, 15, 9};
        float[] oneGrad = new float[images.length];
        float[] oneObjectives = new float[n];
        ModelBackend single = new OnnxBackendProvider().create(new BackendOptions("cpu", 1));
        try (Model model = BackendTesting.open(single, net, dir); GradientProvider p = model.gradients("layer", 12, 12)) {
            p.compute(images, filters, oneObjectives, oneGrad);
        }
        for (boolean prepared : new boolean[] {false, true}) {
            float[] splitGrad = new float[images.length];
            float[] splitObjectives = new float[n];
            try (Model model = BackendTesting.open(OnnxTestBackend.INSTANCE, net, dir);
                    GradientProvider p = model.gradients("layer", 12, 12)) {
                if (prepared) {
                    p.prepare(n);
                }
                p.compute(images, filters, splitObjectives, splitGrad);
            }
            assertTrue(nonZero(oneGrad) > images.length / 10,
                    "the gradient reaches the images");
            assertTrue(BackendTesting.relativeError(splitGrad, oneGrad) < 1e-6, "split vs one session: " + BackendTesting.relativeError(splitGrad, oneGrad));
            assertArrayEquals(oneObjectives, splitObjectives, 1e-5f);
        }
    }

    /**
     * A layer at the end of a residual block (ReLU of a Conv plus the block's input) computes only
     * each image's own channel of that Conv, a Conv grouped by image: its gradients match central
     * finite differences for a batch of images with different channels, stride 1 and stride 2.
     */
    @Test
    void selectedChannelMatchesFiniteDifferences() {
        ModelBackend single = new OnnxBackendProvider().create(new BackendOptions("cpu", 1));
        for (long stride : new long[] {1, 2}) {
            GraphBuilder b = new GraphBuilder("residual" + stride, 17);
            String x = b.input("x", "N", 3L, 9L, 9L);
            String h = b.node("Conv", "c1", List.of(x, weights(b, "w1", 16, 3, 3, 3)), Attribute.of("pads", new long[] {1, 1, 1, 1}),
                    Attribute.of("strides", new long[] {stride, stride}));
            String sum = b.node("Add", "add", List.of(b.node("Conv", "c2", List.of(h, weights(b, "w2", 16, 16, 3, 3), weights(b, "b2", 16)),
                    Attribute.of("pads", new long[] {1, 1, 1, 1})), h));
            String layer = b.node("Relu", "layer", List.of(sum));
            try (Model model = BackendTesting.open(single, b.output(layer), dir); GradientProvider p = model.gradients(layer, 9, 9)) {
                var nodes = ((OnnxModelHandle) model).gradientModel(layer, 4, 9, 9).graph.nodes;
                assertTrue(nodes.stream().anyMatch(n -> n.name().startsWith("fv/selected_conv")), "the last Conv is computed per image");
                assertTrue(nodes.stream().noneMatch(n -> n.name().equals("c2")), "the full last Conv is gone");
                int[] filters = {3, 0, 15, 3};
                float[] images = new float[4 * 3 * 81];
                SplittableRandom r = new SplittableRandom(11);
                for (int i = 0; i < images.length; i++) {
                    images[i] = (float) (r.nextDouble() * 2 - 1);
                }
                float[] grad = new float[images.length];
                float[] objectives = new float[4];
                p.compute(images, filters, objectives, grad);
                float[] fd = BackendTesting.finiteDifferences(p, images, filters, 1e-3f);
                assertTrue(nonZero(fd) > images.length / 10, "the objectives depend on the images");
                assertTrue(BackendTesting.relativeError(grad, fd) < 3e-3, "stride " + stride + ": " + BackendTesting.relativeError(grad, fd));
            }
        }
    }

    /** Conv, ReLU, MaxPool with indices, a strided Conv (ConvTranspose in the backward pass), ReLU: 16 channels, so blocked. */
    private static OnnxModel smallNet() {
        GraphBuilder b = new GraphBuilder("small", 17);
        String x = b.input("x", "N", 3L, 12L, 12L);
        String h = b.node("Relu", "r1", List.of(b.node("Conv", "c1", List.of(x, weights(b, "w1", 16, 3, 3, 3)),
                Attribute.of("pads", new long[] {1, 1, 1, 1}))));
        h = b.node("MaxPool", "p", List.of(h), Attribute.of("kernel_shape", new long[] {3, 3}), Attribute.of("pads", new long[] {1, 1, 1, 1}),
                Attribute.of("strides", new long[] {2, 2}));
        h = b.node("Conv", "c2", List.of(h, weights(b, "w2", 16, 16, 3, 3)), Attribute.of("pads", new long[] {1, 1, 1, 1}),
                Attribute.of("strides", new long[] {2, 2}));
        b.node("Relu", "layer", List.of(h));
        return b.output("layer");
    }

    private static long nonZero(float[] v) {
        long count = 0;
        for (float f : v) {
            count += f != 0 ? 1 : 0;
        }
        return count;
    }

    private static String weights(GraphBuilder b, String name, long... shape) {
        SplittableRandom r = new SplittableRandom(name.hashCode());
        float[] v = new float[(int) Tensor.elements(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1) * 0.5f;
        }
        return b.weight(name, Tensor.ofFloats(shape, v));
    }
}
