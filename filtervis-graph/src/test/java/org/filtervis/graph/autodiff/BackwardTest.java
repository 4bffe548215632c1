package org.filtervis.graph.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.Tensor;
import org.filtervis.graph.TinyRuntime;
import org.junit.jupiter.api.Test;

/**
 * The reverse-mode traversal and its rules, in this module: small graphs differentiated through
 * the plain lowering and run in float64 by {@link TinyRuntime}, against central finite
 * differences of the same forward graph. Inputs keep every ReLU and comparison far from its
 * switch, so 1e-5 of input noise moves nothing but the value.
 */
class BackwardTest {
    static final long[] X = {2, 3, 2, 2};

    /** Broadcasting arithmetic, activations, a transpose, a reshape, a matrix product, a ReLU and reductions. */
    static OnnxModel mixed() {
        GraphBuilder b = new GraphBuilder("mixed", 17);
        b.input("x", 2L, 3L, 2L, 2L);
        b.weight("scale", TinyRuntime.doubles(new long[] {1, 3, 1, 1}, 0.7, -1.3, 2.1));
        b.weight("shift", TinyRuntime.doubles(new long[] {3, 1, 1}, 0.1, -0.2, 0.3));
        b.node("Mul", "scaled", List.of("x", "scale"));
        b.node("Add", "shifted", List.of("scaled", "shift"));
        b.node("Sigmoid", "s", List.of("shifted"));
        b.node("Tanh", "t", List.of("scaled"));
        b.node("Mul", "st", List.of("s", "t"));
        b.node("Sub", "d", List.of("st", "x"));
        b.node("Transpose", "tr", List.of("d"), Attribute.of("perm", new long[] {0, 2, 3, 1}));
        b.weight("flat", Tensor.vector(2, 12));
        b.node("Reshape", "r", List.of("tr", "flat"));
        double[] w = new double[12 * 5];
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.cos(i * 1.7) * 0.5;
        }
        b.weight("w", TinyRuntime.doubles(new long[] {12, 5}, w));
        b.node("MatMul", "mm", List.of("r", "w"));
        b.weight("bias", TinyRuntime.doubles(new long[] {5}, 9, -9, 9, -9, 9));
        b.node("Add", "biased", List.of("mm", "bias"));
        b.node("Relu", "relu", List.of("biased"));
        b.weight("axis", Tensor.vector(1));
        b.node("ReduceMean", "m", List.of("relu", "axis"), Attribute.of("keepdims", 0L));
        b.node("Div", "q", List.of("m", "shift2"));
        b.weight("shift2", TinyRuntime.doubles(new long[0], 1.5));
        b.node("ReduceSum", "y", List.of("q"), Attribute.of("keepdims", 0L));
        return b.output("y");
    }

    static double objective(OnnxModel m, double[] x) {
        return TinyRuntime.run(m.graph, Map.of("x", TinyRuntime.doubles(X, x))).get("y").doubles()[0];
    }

    /** d y / d x through the backward graph the traversal writes. */
    static double[] backward(OnnxModel m, double[] x) {
        Map<String, Tensor> forward = TinyRuntime.run(m.graph, Map.of("x", TinyRuntime.doubles(X, x)));
        Map<String, long[]> shapes = new HashMap<>();
        forward.forEach((k, v) -> shapes.put(k, v.shape()));
        Backward b = Backward.over(m, "x", X, shapes, false, Lowering.PLAIN);
        b.seed("y", b.constant(TinyRuntime.doubles(new long[0], 1.0)));
        b.run("x", "y", null);
        String g = b.gradient("x");
        return TinyRuntime.run(m.graph, Map.of("x", TinyRuntime.doubles(X, x))).get(g).doubles();
    }

    static double[] input() {
        double[] x = new double[(int) Tensor.elements(X)];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.9 * Math.sin(1.3 * i + 0.4);
        }
        return x;
    }

    @Test
    void gradientsEqualCentralDifferences() {
        double[] x = input();
        double[] got = backward(mixed(), x);
        double eps = 1e-5;
        double worst = 0;
        double norm = 0;
        for (int i = 0; i < x.length; i++) {
            double[] up = x.clone();
            double[] down = x.clone();
            up[i] += eps;
            down[i] -= eps;
            double fd = (objective(mixed(), up) - objective(mixed(), down)) / (2 * eps);
            worst = Math.max(worst, Math.abs(fd - got[i]));
            norm = Math.max(norm, Math.abs(fd));
        }
        assertTrue(norm > 1e-2, "the gradient is not zero: " + norm);
        // The backward graph holds float32 constants (its masks and scalars), so agreement is to float32 rounding.
        assertTrue(worst < 1e-6 * Math.max(1, norm), "max |backward - finite difference| = " + worst + " (gradient scale " + norm + ")");
    }

    @Test
    void theSameGradientEveryTime() {
        double[] first = backward(mixed(), input());
        for (int run = 0; run < 3; run++) {
            assertArrayEquals(first, backward(mixed(), input()), "run " + run);
        }
    }
}
