package org.filtervis.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Contract: every operator's backward pass against central finite differences of the forward pass, on
 * small graphs: input [2, 3, 9, 9], a batch of two images with different target channels.
 * Inputs stay clear of the kinks of ReLU-like operators, so float32 differences with eps 1e-3
 * reach ~1e-4; the bound is 3e-3.
 */
public abstract class OperatorContract {
    /** The backend under test, shared by the tests of a class. */
    protected abstract org.filtervis.api.ModelBackend backend();

    static final long[] SHAPE = {2, 3, 9, 9};

    @TempDir
    Path dir;

    /** One operator case: a name and the graph body it adds after the input. */
    public record Case(String name, BiFunction<GraphBuilder, String, String> body) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Attribute ints(String name, long... v) {
        return Attribute.of(name, v);
    }

    static String w(GraphBuilder b, String name, long... shape) {
        SplittableRandom r = new SplittableRandom(name.hashCode());
        float[] v = new float[(int) Tensor.elements(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1) * 0.5f;
        }
        return b.weight(name, Tensor.ofFloats(shape, v));
    }

    static String conv(GraphBuilder b, String x, String name, int cin, int cout, Attribute... attrs) {
        return b.node("Conv", name, List.of(x, w(b, name + ".w", cout, cin, 3, 3), w(b, name + ".b", cout)), attrs);
    }

    public static Stream<Arguments> cases() {
        return Stream.of(
            new Case("conv stride 1 pads 1", (b, x) -> conv(b, x, "c", 3, 4, ints("pads", 1, 1, 1, 1))),
            new Case("conv stride 2 asymmetric pads", (b, x) -> conv(b, x, "c", 3, 4, ints("strides", 2, 2), ints("pads", 0, 1, 1, 0))),
            new Case("conv 7x7 stride 2 few inputs (phase path)", (b, x) -> b.node("Conv", "c", List.of(x, w(b, "w7", 6, 3, 7, 7)),
                    ints("strides", 2, 2), ints("pads", 3, 3, 3, 3))),
            new Case("conv 3x3 stride 3 ragged (phase path)", (b, x) -> b.node("Conv", "c", List.of(x, w(b, "w3", 4, 3, 3, 3)),
                    ints("strides", 3, 3), ints("pads", 0, 1, 1, 0))),
            new Case("conv stride 2 many inputs (ConvTranspose path)", (b, x) -> b.node("Conv", "c2", List.of(
                    conv(b, x, "c1", 3, 12, ints("pads", 1, 1, 1, 1)), w(b, "w12", 4, 12, 3, 3)), ints("strides", 2, 2), ints("pads", 1, 0, 0, 1))),
            new Case("conv dilation 2", (b, x) -> conv(b, x, "c", 3, 4, ints("dilations", 2, 2), ints("pads", 2, 2, 2, 2))),
            new Case("conv dilation 3 stride 2 ragged", (b, x) -> conv(b, x, "c", 3, 4, ints("dilations", 3, 3), ints("strides", 2, 2),
                    ints("pads", 1, 2, 2, 1))),
            new Case("conv depthwise dilation 2", (b, x) -> b.node("Conv", "c", List.of(x, w(b, "dw", 6, 1, 3, 3)),
                    Attribute.of("group", 3L), ints("dilations", 2, 2), ints("pads", 2, 2, 2, 2))),
            new Case("conv grouped 2 groups", (b, x) -> b.node("Conv", "c2", List.of(conv(b, x, "c1", 3, 4, ints("pads", 1, 1, 1, 1)),
                    w(b, "gw", 6, 2, 3, 3)), Attribute.of("group", 2L), ints("pads", 1, 1, 1, 1))),
            new Case("conv auto_pad SAME_UPPER stride 2", (b, x) -> conv(b, x, "c", 3, 4, ints("strides", 2, 2),
                    Attribute.of("auto_pad", "SAME_UPPER"))),
            new Case("conv depthwise group 3", (b, x) -> b.node("Conv", "c", List.of(x, w(b, "dw", 6, 1, 3, 3)),
                    Attribute.of("group", 3L), ints("pads", 1, 1, 1, 1))),
            new Case("conv 1x1 stride 2 (ConvTranspose path)", (b, x) -> b.node("Conv", "c", List.of(x, w(b, "pw", 5, 3, 1, 1)),
                    ints("strides", 2, 2))),
            new Case("batchnorm", (b, x) -> b.node("BatchNormalization", "bn", List.of(x, w(b, "s", 3), w(b, "bias", 3), w(b, "m", 3),
                    b.weight("v", Tensor.ofFloats(new long[] {3}, 0.5f, 1.5f, 2f))))),
            new Case("relu", (b, x) -> b.node("Relu", "r", List.of(conv(b, x, "c", 3, 4, ints("pads", 1, 1, 1, 1))))),
            new Case("residual block end relu(conv(h) + h)", (b, x) -> {
                String h = conv(b, x, "c1", 3, 4, ints("pads", 1, 1, 1, 1));
                return b.node("Relu", "r", List.of(b.node("Add", "a", List.of(conv(b, h, "c2", 4, 4, ints("pads", 1, 1, 1, 1)), h))));
            }),
            // 5x5 output: its objective is the centre pixel alone, so the range is wide enough for it to pass.
            new Case("clip after strided conv", (b, x) -> b.node("Clip", "r", List.of(conv(b, x, "c", 3, 4, ints("strides", 2, 2),
                    ints("pads", 1, 1, 1, 1)), b.weight("lo", Tensor.scalar(-2f)), b.weight("hi", Tensor.scalar(2f))))),
            new Case("clip", (b, x) -> b.node("Clip", "r", List.of(x, b.weight("lo", Tensor.scalar(-0.3f)), b.weight("hi", Tensor.scalar(0.4f))))),
            new Case("leaky relu", (b, x) -> b.node("LeakyRelu", "r", List.of(x), Attribute.of("alpha", 0.2f))),
            new Case("sigmoid", (b, x) -> b.node("Sigmoid", "s", List.of(x))),
            new Case("maxpool 3x3 stride 2 pads 1 (overlapping)", (b, x) -> b.node("MaxPool", "p", List.of(x), ints("kernel_shape", 3, 3),
                    ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))),
            new Case("maxpool 2x2 ceil_mode", (b, x) -> b.node("MaxPool", "p", List.of(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2),
                    Attribute.of("ceil_mode", 1L))),
            new Case("averagepool 3x3 pads excluded", (b, x) -> b.node("AveragePool", "p", List.of(x), ints("kernel_shape", 3, 3),
                    ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))),
            new Case("averagepool 3x3 pads included", (b, x) -> b.node("AveragePool", "p", List.of(x), ints("kernel_shape", 3, 3),
                    ints("strides", 1, 1), ints("pads", 1, 1, 1, 1), Attribute.of("count_include_pad", 1L))),
            new Case("global average pool", (b, x) -> b.node("GlobalAveragePool", "g", List.of(x))),
            new Case("add broadcast and residual", (b, x) -> b.node("Add", "a", List.of(b.node("Add", "a0", List.of(x, w(b, "bias", 1, 3, 1, 1))),
                    b.node("Sigmoid", "s", List.of(x))))),
            new Case("sub both active", (b, x) -> b.node("Sub", "d", List.of(b.node("Sigmoid", "s", List.of(x)), b.node("Mul", "m", List.of(x, x))))),
            new Case("mul broadcast gating", (b, x) -> b.node("Mul", "m", List.of(x, b.node("Sigmoid", "s",
                    List.of(b.node("GlobalAveragePool", "g", List.of(x))))))),
            new Case("div both active", (b, x) -> b.node("Div", "d", List.of(x, b.node("Add", "a", List.of(b.node("Sigmoid", "s", List.of(x)),
                    b.weight("one", Tensor.scalar(1f))))))),
            new Case("concat", (b, x) -> b.node("Concat", "cat", List.of(b.node("Sigmoid", "s", List.of(x)), x,
                    conv(b, x, "c", 3, 2, ints("pads", 1, 1, 1, 1))), Attribute.of("axis", 1L))),
            new Case("concat of one input", (b, x) -> b.node("Concat", "cat", List.of(b.node("Sigmoid", "s", List.of(x))),
                    Attribute.of("axis", 1L))),
            new Case("pad", (b, x) -> b.node("Pad", "p", List.of(x, b.weight("pads", Tensor.vector(0, 0, 1, 2, 0, 0, 2, 1))))),
            new Case("flatten gemm", (b, x) -> b.node("Gemm", "fc", List.of(b.node("Flatten", "f", List.of(x)), w(b, "fw", 5, 243), w(b, "fb", 5)),
                    Attribute.of("transB", 1L), Attribute.of("alpha", 0.7f))),
            new Case("gemm transA", (b, x) -> b.node("Gemm", "fc", List.of(b.node("Transpose", "t", List.of(b.node("Flatten", "f", List.of(x)))),
                    w(b, "fw", 243, 4)), Attribute.of("transA", 1L))),
            new Case("reshape transpose matmul", (b, x) -> b.node("MatMul", "mm", List.of(
                    b.node("Transpose", "t", List.of(b.node("Reshape", "r", List.of(x, b.weight("shape", Tensor.vector(2, 3, 81))))),
                            ints("perm", 0, 2, 1)), w(b, "mw", 3, 4)))),
            new Case("identity dropout", (b, x) -> b.node("Dropout", "dr", List.of(b.node("Identity", "id", List.of(x))))),
            new Case("reduce mean", (b, x) -> b.node("ReduceMean", "rm", List.of(x), ints("axes", 2), Attribute.of("keepdims", 1L))))
            .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    public void backwardMatchesFiniteDifferences(Case c) {
        GraphBuilder b = new GraphBuilder("op", 17);
        String x = b.input("x", 2L, 3L, 9L, 9L);
        String layer = c.body().apply(b, x);
        try (Model model = BackendTesting.open(backend(), b.output(layer), dir); GradientProvider p = model.gradients(layer, 9, 9)) {
            int[] filters = {0, Math.min(1, p.channels() - 1)};
            float[] input = new float[(int) Tensor.elements(SHAPE)];
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < input.length; i++) {
                // Values keep 0.05 away from ReLU-like kinks at 0, so differences do not straddle them.
                double u = r.nextDouble() * 2 - 1;
                input[i] = (float) (Math.signum(u) * (0.05 + 0.95 * Math.abs(u)));
            }
            float[] grad = new float[input.length];
            p.compute(input, filters, new float[2], grad);
            float[] fd = BackendTesting.finiteDifferences(p, input, filters, 1e-3f);
            double err = BackendTesting.relativeError(grad, fd);
            assertTrue(BackendTesting.sum(abs(fd)) > 0, "the objective depends on the input");
            assertTrue(err < 3e-3, c.name() + ": relative L2 error " + err);
            // Where gradient gets through, a redirected-ReLU variant changes nothing.
            if (p.redirectedRelu().isPresent()) {
                float[] redirected = new float[input.length];
                p.redirectedRelu().get().compute(input, filters, new float[2], redirected);
                org.junit.jupiter.api.Assertions.assertArrayEquals(grad, redirected, c.name());
            }
        }
    }

    static float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }
}
