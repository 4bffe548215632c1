package org.filtervis.graph.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.Node;
import org.filtervis.graph.Tensor;

/** Gradients of nodes that move values without changing them: reshapes, concatenation, splits, slices, gathers, transposes, padding. */
final class ShapeRules {
    private ShapeRules() {}

    static void apply(Backward b, Node n, String dy) {
        String x = n.input(0);
        switch (n.opType()) {
            case "Flatten", "Reshape", "Squeeze", "Unsqueeze" -> b.add(x, b.reshape(dy, b.shape(x)));
            case "Concat" -> {
                int rank = b.shape(n.output(0)).length;
                long axis = Backward.normAxis(n.attr("axis", 0L), rank);
                long[] sizes = n.inputs().stream().mapToLong(in -> b.shape(in)[(int) axis]).toArray();
                List<String> outs = new ArrayList<>();
                for (int i = 0; i < sizes.length; i++) {
                    outs.add(b.fresh("split"));
                }
                b.graph().nodes.add(Node.of("Split", b.fresh("node"), List.of(dy, b.constant(Tensor.vector(sizes))), outs, Attribute.of("axis", axis)));
                for (int i = 0; i < sizes.length; i++) {
                    b.add(n.input(i), outs.get(i));
                }
            }
            case "Split" -> split(b, n);
            case "Slice" -> slice(b, n, dy);
            case "Gather" -> gather(b, n, dy);
            case "Transpose" -> {
                int rank = b.shape(x).length;
                long[] perm = n.attr("perm", reversed(rank));
                long[] inverse = new long[rank];
                for (int i = 0; i < rank; i++) {
                    inverse[(int) perm[i]] = i;
                }
                b.add(x, b.op("Transpose", List.of(dy), Attribute.of("perm", inverse)));
            }
            case "Pad" -> pad(b, n, dy);
            default -> throw new IllegalStateException("not a shape node: " + n.opType());
        }
    }

    /** The gradient of a Split: its outputs' gradients concatenated, zeros where none arrived. */
    private static void split(Backward b, Node n) {
        String x = n.input(0);
        int rank = b.shape(x).length;
        long axis = Backward.normAxis(n.attr("axis", 0L), rank);
        List<String> parts = new ArrayList<>();
        for (String out : n.outputs()) {
            String g = b.gradient(out);
            if (g == null) {
                g = b.op("ConstantOfShape", List.of(b.constant(Tensor.vector(b.shape(out)))), Attribute.of("value", Tensor.ofFloats(new long[] {1}, 0f)));
            }
            parts.add(g);
        }
        b.add(x, b.op("Concat", parts, Attribute.of("axis", axis)));
    }

    private static void slice(Backward b, Node n, String dy) {
        String x = n.input(0);
        long[] xs = b.shape(x);
        int rank = xs.length;
        long[] starts = b.constantInput(n, 1).longs();
        long[] ends = b.constantInput(n, 2).longs();
        long[] axes = n.input(3).isEmpty() ? Backward.range(starts.length) : b.constantInput(n, 3).longs();
        long[] steps = n.input(4).isEmpty() ? Backward.filled(starts.length, 1) : b.constantInput(n, 4).longs();
        long[] pads = new long[2 * rank];
        for (int k = 0; k < starts.length; k++) {
            if (steps[k] != 1) {
                throw FiltervisException.failure("Slice node '" + n.describe() + "' has step " + steps[k] + "; filtervis differentiates slices with step 1");
            }
            int a = (int) Backward.normAxis(axes[k], rank);
            long d = xs[a];
            long begin = Math.max(0, Math.min(d, starts[k] < 0 ? starts[k] + d : starts[k]));
            long end = Math.max(begin, Math.min(d, ends[k] < 0 ? ends[k] + d : ends[k]));
            pads[a] = begin;
            pads[rank + a] = d - end;
        }
        b.add(x, b.op("Pad", List.of(dy, b.constant(Tensor.vector(pads)))));
    }

    /** Gather with constant indices: the gradient is summed back onto the gathered rows, here a matrix product with a one-hot matrix. */
    private static void gather(Backward b, Node n, String dy) {
        String x = n.input(0);
        if (b.active(n.input(1))) {
            throw FiltervisException.failure("Gather node '" + n.describe() + "' has indices computed from the image; filtervis differentiates gathers with constant indices");
        }
        long[] xs = b.shape(x);
        int rank = xs.length;
        int axis = (int) Backward.normAxis(n.attr("axis", 0L), rank);
        long[] indices = b.constantInput(n, 1).longs();
        long outer = Tensor.elements(Arrays.copyOfRange(xs, 0, axis));
        long inner = Tensor.elements(Arrays.copyOfRange(xs, axis + 1, rank));
        int k = indices.length;
        long d = xs[axis];
        float[] oneHot = new float[(int) (k * d)];
        for (int i = 0; i < k; i++) {
            long idx = indices[i] < 0 ? indices[i] + d : indices[i];
            oneHot[(int) (i * d + idx)] = 1;
        }
        String rows = b.op("Transpose", List.of(b.reshape(dy, new long[] {outer, k, inner})), Attribute.of("perm", new long[] {0, 2, 1}));
        String summed = b.op("MatMul", List.of(rows, b.constant(Tensor.ofFloats(new long[] {k, d}, oneHot))));
        String back = b.op("Transpose", List.of(summed), Attribute.of("perm", new long[] {0, 2, 1}));
        b.add(x, b.reshape(back, xs));
    }

    private static void pad(Backward b, Node n, String dy) {
        String mode = n.attr("mode", "constant");
        if (!mode.equals("constant")) {
            throw FiltervisException.failure("Pad node '" + n.describe() + "' uses mode '" + mode + "'; filtervis differentiates constant padding only");
        }
        String x = n.input(0);
        long[] xs = b.shape(x);
        int rank = xs.length;
        Tensor padsTensor = b.graph().initializers.get(n.input(1));
        if (padsTensor == null) {
            throw FiltervisException.failure("Pad node '" + n.describe() + "' has computed pads; filtervis needs constant pads");
        }
        long[] given = padsTensor.longs();
        long[] axes = n.input(3).isEmpty() ? Backward.range(rank) : b.graph().initializers.get(n.input(3)).longs();
        long[] begin = new long[rank];
        int count = given.length / 2;
        for (int i = 0; i < count; i++) {
            int axis = (int) Backward.normAxis(n.input(3).isEmpty() ? i : axes[i], rank);
            begin[axis] = given[i];
            if (given[i] < 0 || given[count + i] < 0) {
                throw FiltervisException.failure("Pad node '" + n.describe() + "' crops (negative pads); filtervis differentiates padding only");
            }
        }
        long[] end = new long[rank];
        long[] all = new long[rank];
        for (int i = 0; i < rank; i++) {
            end[i] = begin[i] + xs[i];
            all[i] = i;
        }
        b.add(x, b.op("Slice", List.of(dy, b.constant(Tensor.vector(begin)), b.constant(Tensor.vector(end)), b.constant(Tensor.vector(all)))));
    }

    private static long[] reversed(int rank) {
        long[] p = new long[rank];
        Arrays.setAll(p, i -> rank - 1 - i);
        return p;
    }
}
