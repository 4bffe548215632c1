package org.filtervis.graph.autodiff;

import java.util.Arrays;
import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.Node;
import org.filtervis.graph.Tensor;

/** Gradients of matrix products, normalizations and reductions. */
final class LinearRules {
    private LinearRules() {}

    static void apply(Backward b, Node n, String dy) {
        switch (n.opType()) {
            case "Gemm" -> gemm(b, n, dy);
            case "MatMul" -> matMul(b, n, dy);
            case "BatchNormalization" -> batchNorm(b, n, dy);
            case "LayerNormalization" -> layerNorm(b, n, dy);
            case "ReduceMean", "ReduceSum" -> reduce(b, n, dy);
            default -> throw new IllegalStateException("not a linear operator: " + n.opType());
        }
    }

    private static void gemm(Backward b, Node n, String dy) {
        String a = n.input(0);
        String m = n.input(1);
        float alpha = n.attr("alpha", 1f);
        long transA = n.attr("transA", 0L);
        long transB = n.attr("transB", 0L);
        Attribute scale = Attribute.of("alpha", alpha);
        if (b.active(a)) {
            // A' = op(A); dA' = alpha dY op(B)^T, transposed back when A was.
            String da = transA == 0
                    ? b.op("Gemm", List.of(dy, m), scale, Attribute.of("transB", 1 - transB))
                    : b.op("Gemm", List.of(m, dy), scale, Attribute.of("transA", transB), Attribute.of("transB", 1L));
            b.add(a, da);
        }
        if (b.active(m)) {
            String db = transB == 0
                    ? b.op("Gemm", List.of(a, dy), scale, Attribute.of("transA", 1 - transA))
                    : b.op("Gemm", List.of(dy, a), scale, Attribute.of("transA", 1L), Attribute.of("transB", transA));
            b.add(m, db);
        }
        String c = n.input(2);
        if (!c.isEmpty() && b.active(c)) {
            String dc = b.op("Mul", List.of(dy, b.constant(Tensor.scalar(n.attr("beta", 1f)))));
            b.add(c, b.unbroadcast(dc, n.output(0), c));
        }
    }

    private static void matMul(Backward b, Node n, String dy) {
        String a = n.input(0);
        String m = n.input(1);
        String y = n.output(0);
        if (b.shape(a).length < 2 || b.shape(m).length < 2) {
            throw FiltervisException.failure("MatMul node '" + n.describe() + "' has a 1-D operand; filtervis differentiates MatMul of rank 2 and more");
        }
        if (b.active(a)) {
            b.add(a, b.unbroadcast(b.op("MatMul", List.of(dy, swapLast(b, m))), y, a));
        }
        if (b.active(m)) {
            b.add(m, b.unbroadcast(b.op("MatMul", List.of(swapLast(b, a), dy)), y, m));
        }
    }

    private static String swapLast(Backward b, String t) {
        int rank = b.shape(t).length;
        long[] perm = new long[rank];
        Arrays.setAll(perm, i -> i);
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = rank - 2;
        return b.op("Transpose", List.of(t), Attribute.of("perm", perm));
    }

    private static void batchNorm(Backward b, Node n, String dy) {
        if (n.attr("training_mode", 0L) != 0) {
            throw FiltervisException.failure("BatchNormalization node '" + n.describe() + "' is in training mode; export the model in eval mode");
        }
        float[] scale = b.constantInput(n, 1).floats();
        float[] variance = b.constantInput(n, 4).floats();
        float eps = n.attr("epsilon", 1e-5f);
        float[] k = new float[scale.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (scale[i] / Math.sqrt(variance[i] + (double) eps));
        }
        long[] s = new long[b.shape(n.input(0)).length];
        Arrays.fill(s, 1);
        s[1] = k.length;
        b.add(n.input(0), b.op("Mul", List.of(dy, b.constant(Tensor.ofFloats(s, k)))));
    }

    /**
     * y = (x - mean) * invstd * scale + bias over the trailing axes from {@code axis}: with
     * g = dy * scale and xhat = (x - mean) * invstd,
     * dx = invstd * (g - mean(g) - xhat * mean(g * xhat)). Mean and InvStdDev come from the
     * forward node's optional outputs.
     */
    private static void layerNorm(Backward b, Node n, String dy) {
        String x = n.input(0);
        int rank = b.shape(x).length;
        long axis = Backward.normAxis(n.attr("axis", -1L), rank);
        if (b.active(n.input(1)) || b.active(n.input(2))) {
            throw FiltervisException.failure("LayerNormalization node '" + n.describe() + "' has computed scale or bias; filtervis needs them constant");
        }
        while (n.outputs().size() < 3) {
            n.outputs().add("");
        }
        for (int i = 1; i < 3; i++) {
            if (n.output(i).isEmpty()) {
                n.outputs().set(i, b.fresh(i == 1 ? "ln_mean" : "ln_invstd"));
            }
        }
        long[] axes = new long[(int) (rank - axis)];
        Arrays.setAll(axes, i -> axis + i);
        String xhat = b.op("Mul", List.of(b.op("Sub", List.of(x, n.output(1))), n.output(2)));
        String gs = b.op("Mul", List.of(dy, n.input(1)));
        String meanG = reduceMean(b, gs, axes);
        String meanGx = reduceMean(b, b.op("Mul", List.of(gs, xhat)), axes);
        String inner = b.op("Sub", List.of(b.op("Sub", List.of(gs, meanG)), b.op("Mul", List.of(xhat, meanGx))));
        b.add(x, b.op("Mul", List.of(inner, n.output(2))));
    }

    private static String reduceMean(Backward b, String t, long[] axes) {
        if (b.opset() >= 18) {
            return b.op("ReduceMean", List.of(t, b.constant(Tensor.vector(axes))), Attribute.of("keepdims", 1L));
        }
        return b.op("ReduceMean", List.of(t), Attribute.of("axes", axes), Attribute.of("keepdims", 1L));
    }

    private static void reduce(Backward b, Node n, String dy) {
        String x = n.input(0);
        long[] xs = b.shape(x);
        long[] axes = n.attr("axes", (long[]) null);
        if (!n.input(1).isEmpty()) {
            Tensor given = b.graph().initializers.get(n.input(1));
            if (given == null) {
                throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' has computed axes; filtervis needs constant axes");
            }
            axes = given.longs();
        }
        if (axes == null || axes.length == 0) {
            if (n.attr("noop_with_empty_axes", 0L) != 0) {
                b.add(x, dy);
                return;
            }
            axes = Backward.range(xs.length);
        }
        long[] kept = xs.clone();
        long count = 1;
        for (long a : axes) {
            int axis = (int) Backward.normAxis(a, xs.length);
            count *= xs[axis];
            kept[axis] = 1;
        }
        String grad = b.reshape(dy, kept);
        if (n.opType().equals("ReduceMean")) {
            grad = b.op("Mul", List.of(grad, b.constant(Tensor.scalar(1f / count))));
        }
        b.add(x, b.op("Expand", List.of(grad, b.constant(Tensor.vector(xs)))));
    }
}
