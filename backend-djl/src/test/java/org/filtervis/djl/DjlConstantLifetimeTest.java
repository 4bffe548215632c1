package org.filtervis.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import ai.djl.ndarray.NDManager;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.kit.PreparedModel;
import org.filtervis.graph.Tensor;
import org.filtervis.testkit.BackendTesting;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The root cause of the intermittent all-zero DJL gradients: DJL wraps a Java number given to an
 * operation ({@code x.maximum(0f)}) in a tensor over a direct buffer that it closes right away,
 * while autograd keeps that tensor for the backward pass. Here the forward pass is followed by
 * garbage collections and fresh direct buffers full of 1e30 before the backward pass, which made
 * ReLU6's gradient all zero or garbage every time before the fix; now every lowered operator
 * with a constant gives the same gradient with and without that, equal to finite differences.
 */
class DjlConstantLifetimeTest {
    static final long[] SHAPE = {2, 3, 6, 6};

    record Case(String name, BiFunction<GraphBuilder, String, String> body) {
        @Override
        public String toString() {
            return name;
        }
    }

    static String scalar(GraphBuilder b, String name, float v) {
        return b.weight(name, Tensor.scalar(v));
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            new Case("clip (ReLU6 as torch.onnx.export writes it)", (b, x) -> b.node("Clip", "r", List.of(x, scalar(b, "lo", 0f), scalar(b, "hi", 0.4f)))),
            new Case("hard sigmoid", (b, x) -> b.node("HardSigmoid", "h", List.of(x), Attribute.of("alpha", 0.9f), Attribute.of("beta", 0.3f))),
            new Case("hard swish", (b, x) -> b.node("HardSwish", "h", List.of(b.node("Mul", "m", List.of(x, scalar(b, "k", 4f)))))),
            new Case("pow", (b, x) -> b.node("Pow", "p", List.of(x, scalar(b, "e", 3f)))),
            new Case("gemm alpha beta", (b, x) -> b.node("Gemm", "g", List.of(b.node("Flatten", "f", List.of(x)), weights(b, "w", 4, 108),
                    weights(b, "c", 4)), Attribute.of("transB", 1L), Attribute.of("alpha", 0.7f), Attribute.of("beta", 1.5f))))
            .map(Arguments::of);
    }

    static String weights(GraphBuilder b, String name, long... shape) {
        SplittableRandom r = new SplittableRandom(name.hashCode());
        float[] v = new float[(int) Tensor.elements(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() - 0.5);
        }
        return b.weight(name, Tensor.ofFloats(shape, v));
    }

    static DjlGradients gradients(OnnxModel model, String layer, boolean churn, NDManager weights) {
        DjlBackend backend = (DjlBackend) DjlTestBackend.INSTANCE;
        PreparedModel prepared = PreparedModel.of(model);
        DjlGraph graph = new DjlGraph(prepared.cut(1, 6, 6, Set.of(layer)).graph, weights);
        int channels = layer.equals("g") ? 4 : 3;
        return new DjlGradients(backend, prepared.input().withSize(6, 6), channels, 2, (x, scope) -> {
            var out = graph.run(prepared.input().name(), x, scope).get(layer);
            if (churn) {
                BackendTesting.churnMemory();
            }
            return out;
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void constantsOutliveTheBackwardPass(Case c) {
        GraphBuilder b = new GraphBuilder("lifetime", 17);
        String x = b.input("x", 2L, 3L, 6L, 6L);
        String layer = c.body().apply(b, x);
        OnnxModel model = b.output(layer);
        float[] input = new float[(int) Tensor.elements(SHAPE)];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < input.length; i++) {
            // Clear of the kinks at 0 and 0.4 (Clip), -1/3 and 0.78 (HardSigmoid), -0.75 and 0.75 (HardSwish).
            double v = r.nextDouble() * 1.2 - 0.6;
            input[i] = (float) (Math.abs(v) < 0.05 ? v + 0.1 : v);
        }
        int[] filters = {0, 2};
        try (NDManager weights = ((DjlBackend) DjlTestBackend.INSTANCE).root().newSubManager()) {
            DjlGradients quiet = gradients(model, layer, false, weights);
            float[] want = new float[input.length];
            quiet.compute(input, filters, new float[2], want);
            float[] fd = BackendTesting.finiteDifferences(quiet, input, filters, 1e-3f);
            assertTrue(BackendTesting.sum(abs(want)) > 0, c.name() + ": the objective depends on the input");
            double err = BackendTesting.relativeError(want, fd);
            assertTrue(err < 3e-3, c.name() + ": relative L2 error against finite differences " + err);
            DjlGradients stressed = gradients(model, layer, true, weights);
            for (int run = 0; run < 3; run++) {
                float[] got = new float[input.length];
                stressed.compute(input, filters, new float[2], got);
                assertArrayEquals(want, got, c.name() + ": gradient after garbage collection between forward and backward, run " + run);
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
