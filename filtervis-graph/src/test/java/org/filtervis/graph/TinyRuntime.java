package org.filtervis.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference runtime for small graphs in the tests of this module, in float64: the operators
 * the constant folder evaluates come from it, the others (activations, comparisons, products,
 * reductions) are written here, each in its plainest form. Written to check the graph module's
 * own transformations without a framework; never used by the product.
 */
public final class TinyRuntime {
    private TinyRuntime() {}

    public static Tensor doubles(long[] shape, double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return new Tensor(DataType.DOUBLE, shape, b.array());
    }

    /** Every tensor of {@code g}'s nodes, in order, from its initializers and {@code inputs}. */
    public static Map<String, Tensor> run(Graph g, Map<String, Tensor> inputs) {
        Map<String, Tensor> values = new HashMap<>(g.initializers);
        values.putAll(inputs);
        for (Node n : g.nodes) {
            Tensor out = ConstantFolder.tryEvaluate(n, values::get, name -> values.containsKey(name) ? values.get(name).shape() : null);
            if (out == null) {
                out = evaluate(n, values);
            }
            if (out.type() == DataType.FLOAT) {
                out = doubles(out.shape(), out.doubles()); // carried on in float64
            }
            values.put(n.output(0), out);
        }
        return values;
    }

    private static Tensor evaluate(Node n, Map<String, Tensor> values) {
        Tensor x = values.get(n.input(0));
        if (x == null) {
            throw new IllegalStateException(n.opType() + " reads " + n.input(0) + ", which has no value");
        }
        double[] v = x.doubles();
        long[] s = x.shape();
        return switch (n.opType()) {
            case "Relu" -> doubles(s, map(v, a -> Math.max(0, a)));
            case "Sigmoid" -> doubles(s, map(v, a -> 1 / (1 + Math.exp(-a))));
            case "Tanh" -> doubles(s, map(v, Math::tanh));
            case "Exp" -> doubles(s, map(v, Math::exp));
            case "Greater", "Less" -> {
                double[] w = values.get(n.input(1)).doubles();
                double[] out = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    double b = w[w.length == 1 ? 0 : i];
                    out[i] = (n.opType().equals("Greater") ? v[i] > b : v[i] < b) ? 1 : 0;
                }
                yield doubles(s, out);
            }
            case "Sum" -> {
                double[] out = v.clone();
                for (int k = 1; k < n.inputs().size(); k++) {
                    double[] w = values.get(n.input(k)).doubles();
                    if (w.length != out.length) {
                        throw new IllegalStateException("TinyRuntime sums tensors of one shape only");
                    }
                    for (int i = 0; i < out.length; i++) {
                        out[i] += w[i];
                    }
                }
                yield doubles(s, out);
            }
            case "MatMul" -> matmul(x, values.get(n.input(1)), false, false, 1);
            case "Gemm" -> {
                Tensor y = matmul(x, values.get(n.input(1)), n.attr("transA", 0L) != 0, n.attr("transB", 0L) != 0, n.attr("alpha", 1f));
                if (n.inputs().size() > 2 && !n.input(2).isEmpty()) {
                    double[] c = values.get(n.input(2)).doubles();
                    double beta = n.attr("beta", 1f);
                    double[] out = y.doubles();
                    int cols = (int) y.shape()[1];
                    for (int i = 0; i < out.length; i++) {
                        out[i] += beta * c[c.length == cols ? i % cols : c.length == 1 ? 0 : i];
                    }
                    y = doubles(y.shape(), out);
                }
                yield y;
            }
            case "ReduceSum", "ReduceMean" -> reduce(n, x, values);
            default -> throw new IllegalStateException("TinyRuntime has no " + n.opType());
        };
    }

    private static double[] map(double[] v, java.util.function.DoubleUnaryOperator f) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = f.applyAsDouble(v[i]);
        }
        return out;
    }

    private static Tensor matmul(Tensor a, Tensor b, boolean ta, boolean tb, double alpha) {
        long[] sa = a.shape();
        long[] sb = b.shape();
        if (sa.length != 2 || sb.length != 2) {
            throw new IllegalStateException("TinyRuntime multiplies matrices only");
        }
        int m = (int) (ta ? sa[1] : sa[0]);
        int k = (int) (ta ? sa[0] : sa[1]);
        int n = (int) (tb ? sb[0] : sb[1]);
        double[] x = a.doubles();
        double[] y = b.doubles();
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += x[ta ? p * m + i : i * k + p] * y[tb ? j * k + p : p * n + j];
                }
                out[i * n + j] = alpha * sum;
            }
        }
        return doubles(new long[] {m, n}, out);
    }

    private static Tensor reduce(Node n, Tensor x, Map<String, Tensor> values) {
        long[] s = x.shape();
        long[] axes = n.inputs().size() > 1 && !n.input(1).isEmpty() ? values.get(n.input(1)).longs() : n.attr("axes", (long[]) null);
        boolean[] reduced = new boolean[s.length];
        if (axes == null || axes.length == 0) {
            java.util.Arrays.fill(reduced, n.attr("noop_with_empty_axes", 0L) == 0);
        } else {
            for (long a : axes) {
                reduced[(int) (a < 0 ? a + s.length : a)] = true;
            }
        }
        boolean keep = n.attr("keepdims", 1L) != 0;
        long[] outShape = new long[s.length];
        long count = 1;
        for (int i = 0; i < s.length; i++) {
            outShape[i] = reduced[i] ? 1 : s[i];
            count *= reduced[i] ? s[i] : 1;
        }
        double[] v = x.doubles();
        double[] out = new double[(int) Tensor.elements(outShape)];
        long[] idx = new long[s.length];
        for (int flat = 0; flat < v.length; flat++) {
            long rest = flat;
            for (int i = s.length - 1; i >= 0; i--) {
                idx[i] = rest % s[i];
                rest /= s[i];
            }
            int o = 0;
            for (int i = 0; i < s.length; i++) {
                o = (int) (o * outShape[i] + (reduced[i] ? 0 : idx[i]));
            }
            out[o] += v[flat];
        }
        if (n.opType().equals("ReduceMean")) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= count;
            }
        }
        List<Long> kept = new java.util.ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (keep || !reduced[i]) {
                kept.add(outShape[i]);
            }
        }
        return doubles(kept.stream().mapToLong(Long::longValue).toArray(), out);
    }
}
