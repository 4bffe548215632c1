package org.filtervis.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds what is constant for one input size: {@code Shape} of a tensor whose shape is known, and
 * the small integer subgraphs exporters build from it (Gather, Unsqueeze, Concat, Cast, Slice,
 * Reshape, ConstantOfShape, arithmetic), evaluated here in Java. Afterwards a Pad's pads or a
 * Reshape's shape are plain initializers, which the backward pass needs.
 */
public final class ConstantFolder {
    /** Operators evaluated when all their inputs are constant. */
    static final Set<String> FOLDABLE = Set.of("Shape", "Size", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Reshape",
            "Transpose", "ConstantOfShape", "Add", "Sub", "Mul", "Div", "Range", "Identity", "Equal", "Where", "Expand", "Neg", "Floor",
            "Sqrt");
    /** Larger results are left to the runtime: folding is for shapes, not for weights. */
    private static final long MAX_ELEMENTS = 1 << 16;

    private ConstantFolder() {}

    /** A tensor as doubles, with its element type; the working form of the evaluator. */
    record Nd(DataType type, long[] shape, double[] v) {
        static Nd of(Tensor t) {
            return new Nd(t.type(), t.shape(), t.doubles());
        }

        long size() {
            return v.length;
        }

        Tensor tensor() {
            int n = v.length;
            ByteBuffer b = ByteBuffer.allocate(n * type.bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (double d : v) {
                switch (type) {
                    case FLOAT -> b.putFloat((float) d);
                    case DOUBLE -> b.putDouble(d);
                    case INT64 -> b.putLong((long) d);
                    case INT32 -> b.putInt((int) d);
                    case BOOL, UINT8, INT8 -> b.put((byte) d);
                    default -> throw new IllegalStateException();
                }
            }
            return new Tensor(type, shape, b.array());
        }
    }

    /**
     * Folds in place. {@code shapes} gives the shape of every tensor for the size at hand.
     *
     * @return the number of nodes folded away
     */
    public static int fold(Graph g, Map<String, long[]> shapes) {
        Set<String> keep = new java.util.HashSet<>();
        g.outputs.forEach(o -> keep.add(o.name()));
        int folded = 0;
        for (Iterator<Node> it = g.nodes.iterator(); it.hasNext(); ) {
            Node n = it.next();
            if (keep.contains(n.output(0))) {
                continue;
            }
            Tensor result = tryEvaluate(n, g.initializers::get, shapes::get);
            if (result == null) {
                continue;
            }
            g.initializers.put(n.output(0), result);
            shapes.put(n.output(0), result.shape());
            it.remove();
            folded++;
        }
        g.pruneTo(new java.util.LinkedHashSet<>(g.outputs.stream().map(ValueInfo::name).toList()));
        return folded;
    }

    /**
     * The value of a node when it can be computed here: a foldable operator whose inputs are all
     * {@code constants}, or Shape/Size of a tensor whose shape is known. Null otherwise (and for
     * results too large or of another type, which are left to the runtime).
     */
    public static Tensor tryEvaluate(Node n, java.util.function.Function<String, Tensor> constants,
            java.util.function.Function<String, long[]> shapes) {
        if (!FOLDABLE.contains(n.opType()) || !n.domain().isEmpty() || n.outputs().size() != 1) {
            return null;
        }
        Nd result;
        try {
            result = evaluate(n, constants, shapes);
        } catch (RuntimeException e) {
            return null;
        }
        if (result == null || result.size() > MAX_ELEMENTS || !Set.of(DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT32,
                DataType.BOOL, DataType.UINT8, DataType.INT8).contains(result.type())) {
            return null;
        }
        return result.tensor();
    }

    private static Nd evaluate(Node n, java.util.function.Function<String, Tensor> constants, java.util.function.Function<String, long[]> shapes) {
        if (n.opType().equals("Shape") || n.opType().equals("Size")) {
            Tensor constant = constants.apply(n.input(0));
            long[] s = constant != null ? constant.shape() : shapes.apply(n.input(0));
            if (s == null) {
                return null;
            }
            if (n.opType().equals("Size")) {
                return new Nd(DataType.INT64, new long[0], new double[] {Tensor.elements(s)});
            }
            int rank = s.length;
            int start = (int) clampAxis(n.attr("start", 0L), rank);
            int end = (int) clampAxis(n.attr("end", (long) rank), rank);
            double[] v = new double[Math.max(0, end - start)];
            for (int i = 0; i < v.length; i++) {
                v[i] = s[start + i];
            }
            return new Nd(DataType.INT64, new long[] {v.length}, v);
        }
        List<Nd> in = new ArrayList<>();
        for (String name : n.inputs()) {
            if (name.isEmpty()) {
                in.add(null);
                continue;
            }
            Tensor t = constants.apply(name);
            if (t == null) {
                return null;
            }
            in.add(Nd.of(t));
        }
        Nd x = in.isEmpty() ? null : in.get(0);
        return switch (n.opType()) {
            case "Identity" -> x;
            case "Cast" -> new Nd(DataType.of((int) n.attr("to", 1L)), x.shape, castValues(x.v, DataType.of((int) n.attr("to", 1L))));
            case "Neg" -> map(x, d -> -d);
            case "Floor" -> map(x, Math::floor);
            case "Sqrt" -> map(x, Math::sqrt);
            case "Unsqueeze" -> unsqueeze(x, axes(n, in, 1));
            case "Squeeze" -> squeeze(x, axes(n, in, 1));
            case "Reshape" -> new Nd(x.type, reshapeTarget(x.shape, longs(in.get(1)), n.attr("allowzero", 0L) != 0), x.v);
            case "Concat" -> concat(in, (int) n.attr("axis", 0L));
            case "Gather" -> gather(x, in.get(1), (int) n.attr("axis", 0L));
            case "Slice" -> slice(x, longs(in.get(1)), longs(in.get(2)), in.size() > 3 && in.get(3) != null ? longs(in.get(3)) : null,
                    in.size() > 4 && in.get(4) != null ? longs(in.get(4)) : null);
            case "Transpose" -> transpose(x, n.attr("perm", reversed(x.shape.length)));
            case "ConstantOfShape" -> {
                Attribute value = n.attributes().get("value");
                Nd fill = value == null ? new Nd(DataType.FLOAT, new long[] {1}, new double[] {0}) : Nd.of(value.asTensor());
                long[] shape = longs(x);
                double[] v = new double[(int) Tensor.elements(shape)];
                Arrays.fill(v, fill.v[0]);
                yield new Nd(fill.type, shape, v);
            }
            case "Expand" -> binary(x, new Nd(x.type, longs(in.get(1)), filledOnes(longs(in.get(1)))), (a, b) -> a, x.type);
            case "Add" -> binary(x, in.get(1), Double::sum, x.type);
            case "Sub" -> binary(x, in.get(1), (a, b) -> a - b, x.type);
            case "Mul" -> binary(x, in.get(1), (a, b) -> a * b, x.type);
            case "Div" -> binary(x, in.get(1), (a, b) -> isInteger(x.type) ? (double) ((long) a / (long) b) : a / b, x.type);
            case "Equal" -> binary(x, in.get(1), (a, b) -> a == b ? 1 : 0, DataType.BOOL);
            case "Where" -> {
                Nd picked = binary(in.get(0), in.get(1), (c, a) -> c, DataType.DOUBLE);
                Nd a = binary(picked, in.get(1), (c, v) -> c != 0 ? v : Double.NaN, in.get(1).type);
                yield binary(a, in.get(2), (v, b) -> Double.isNaN(v) ? b : v, in.get(1).type);
            }
            case "Range" -> {
                double start = x.v[0];
                double limit = in.get(1).v[0];
                double delta = in.get(2).v[0];
                int count = (int) Math.max(0, Math.ceil((limit - start) / delta));
                double[] v = new double[count];
                for (int i = 0; i < count; i++) {
                    v[i] = start + i * delta;
                }
                yield new Nd(x.type, new long[] {count}, v);
            }
            default -> null;
        };
    }

    private static boolean isInteger(DataType t) {
        return t != DataType.FLOAT && t != DataType.DOUBLE && t != DataType.FLOAT16;
    }

    private static double[] castValues(double[] v, DataType to) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = to == DataType.BOOL ? (v[i] != 0 ? 1 : 0) : isInteger(to) ? (double) (long) v[i] : to == DataType.FLOAT ? (float) v[i] : v[i];
        }
        return out;
    }

    private static Nd map(Nd x, java.util.function.DoubleUnaryOperator f) {
        double[] v = x.v.clone();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i]);
        }
        return new Nd(x.type, x.shape, v);
    }

    private static long[] longs(Nd x) {
        long[] l = new long[x.v.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (long) x.v[i];
        }
        return l;
    }

    private static double[] filledOnes(long[] shape) {
        double[] v = new double[(int) Tensor.elements(shape)];
        Arrays.fill(v, 1);
        return v;
    }

    private static long[] axes(Node n, List<Nd> in, int index) {
        if (in.size() > index && in.get(index) != null) {
            return longs(in.get(index));
        }
        return n.attr("axes", (long[]) null);
    }

    private static Nd unsqueeze(Nd x, long[] axes) {
        int rank = x.shape.length + axes.length;
        long[] shape = new long[rank];
        boolean[] inserted = new boolean[rank];
        for (long a : axes) {
            inserted[(int) (a < 0 ? a + rank : a)] = true;
        }
        for (int i = 0, j = 0; i < rank; i++) {
            shape[i] = inserted[i] ? 1 : x.shape[j++];
        }
        return new Nd(x.type, shape, x.v);
    }

    private static Nd squeeze(Nd x, long[] axes) {
        List<Long> shape = new ArrayList<>();
        int rank = x.shape.length;
        for (int i = 0; i < rank; i++) {
            boolean drop = axes == null ? x.shape[i] == 1 : contains(axes, i, rank);
            if (!drop) {
                shape.add(x.shape[i]);
            }
        }
        return new Nd(x.type, shape.stream().mapToLong(Long::longValue).toArray(), x.v);
    }

    private static boolean contains(long[] axes, int axis, int rank) {
        for (long a : axes) {
            if ((a < 0 ? a + rank : a) == axis) {
                return true;
            }
        }
        return false;
    }

    /** ONNX Reshape's target: 0 copies the input's dimension (unless allowzero), -1 is inferred. */
    public static long[] reshapeTarget(long[] from, long[] target, boolean allowZero) {
        long[] shape = target.clone();
        long known = 1;
        int infer = -1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0 && !allowZero) {
                shape[i] = from[i];
            }
            if (shape[i] == -1) {
                infer = i;
            } else {
                known *= shape[i];
            }
        }
        if (infer >= 0) {
            shape[infer] = Tensor.elements(from) / known;
        }
        return shape;
    }

    private static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    private static Nd concat(List<Nd> in, int axis) {
        int rank = in.get(0).shape.length;
        int ax = axis < 0 ? axis + rank : axis;
        long[] shape = in.get(0).shape.clone();
        shape[ax] = in.stream().mapToLong(t -> t.shape[ax]).sum();
        long outer = Tensor.elements(Arrays.copyOfRange(shape, 0, ax));
        double[] v = new double[(int) Tensor.elements(shape)];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (Nd t : in) {
                int chunk = (int) Tensor.elements(Arrays.copyOfRange(t.shape, ax, rank));
                System.arraycopy(t.v, (int) o * chunk, v, pos, chunk);
                pos += chunk;
            }
        }
        return new Nd(in.get(0).type, shape, v);
    }

    private static Nd gather(Nd x, Nd indices, int axis) {
        int rank = x.shape.length;
        int ax = axis < 0 ? axis + rank : axis;
        long outer = Tensor.elements(Arrays.copyOfRange(x.shape, 0, ax));
        long inner = Tensor.elements(Arrays.copyOfRange(x.shape, ax + 1, rank));
        long dim = x.shape[ax];
        long[] shape = new long[rank - 1 + indices.shape.length];
        System.arraycopy(x.shape, 0, shape, 0, ax);
        System.arraycopy(indices.shape, 0, shape, ax, indices.shape.length);
        System.arraycopy(x.shape, ax + 1, shape, ax + indices.shape.length, rank - ax - 1);
        double[] v = new double[(int) Tensor.elements(shape)];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (double id : indices.v) {
                long i = (long) id < 0 ? (long) id + dim : (long) id;
                System.arraycopy(x.v, (int) ((o * dim + i) * inner), v, pos, (int) inner);
                pos += inner;
            }
        }
        return new Nd(x.type, shape, v);
    }

    private static Nd slice(Nd x, long[] starts, long[] ends, long[] axes, long[] steps) {
        int rank = x.shape.length;
        long[] begin = new long[rank];
        long[] step = new long[rank];
        long[] count = x.shape.clone();
        Arrays.fill(step, 1);
        for (int k = 0; k < starts.length; k++) {
            int a = (int) (axes == null ? k : axes[k] < 0 ? axes[k] + rank : axes[k]);
            long d = x.shape[a];
            long st = steps == null ? 1 : steps[k];
            long s = starts[k] < 0 ? starts[k] + d : starts[k];
            long e = ends[k] < 0 ? ends[k] + d : ends[k];
            if (st > 0) {
                s = Math.max(0, Math.min(d, s));
                e = Math.max(0, Math.min(d, e));
            } else {
                s = Math.max(-1, Math.min(d - 1, s));
                e = Math.max(-1, Math.min(d - 1, e));
            }
            begin[a] = s;
            step[a] = st;
            count[a] = Math.max(0, (e - s + st + (st > 0 ? -1 : 1)) / st);
        }
        long[] inStrides = strides(x.shape);
        long offset = 0;
        long[] jump = new long[rank];
        for (int a = 0; a < rank; a++) {
            offset += begin[a] * inStrides[a];
            jump[a] = step[a] * inStrides[a];
        }
        return strided(x, count, offset, jump);
    }

    private static Nd transpose(Nd x, long[] perm) {
        int rank = x.shape.length;
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = x.shape[(int) perm[i]];
        }
        long[] inStrides = strides(x.shape);
        long[] jump = new long[rank];
        for (int a = 0; a < rank; a++) {
            jump[a] = inStrides[(int) perm[a]];
        }
        return strided(x, shape, 0, jump);
    }

    /**
     * A view of {@code x} copied out: output element (c0, c1, ...) of {@code shape} is input
     * element {@code offset + sum(c_a * jump[a])} (flat index). Slices and transposes are both this.
     */
    private static Nd strided(Nd x, long[] shape, long offset, long[] jump) {
        long[] outStrides = strides(shape);
        double[] v = new double[(int) Tensor.elements(shape)];
        for (int i = 0; i < v.length; i++) {
            long src = offset;
            long rest = i;
            for (int a = 0; a < shape.length; a++) {
                src += rest / outStrides[a] * jump[a];
                rest %= outStrides[a];
            }
            v[i] = x.v[(int) src];
        }
        return new Nd(x.type, shape, v);
    }

    private static Nd binary(Nd a, Nd b, java.util.function.DoubleBinaryOperator f, DataType type) {
        int rank = Math.max(a.shape.length, b.shape.length);
        long[] shape = new long[rank];
        long[] as = pad(a.shape, rank);
        long[] bs = pad(b.shape, rank);
        for (int i = 0; i < rank; i++) {
            shape[i] = Math.max(as[i], bs[i]);
        }
        long[] aStr = strides(as);
        long[] bStr = strides(bs);
        long[] outStr = strides(shape);
        double[] v = new double[(int) Tensor.elements(shape)];
        for (int i = 0; i < v.length; i++) {
            long ai = 0;
            long bi = 0;
            long rest = i;
            for (int k = 0; k < rank; k++) {
                long c = rest / outStr[k];
                rest %= outStr[k];
                ai += (as[k] == 1 ? 0 : c) * aStr[k];
                bi += (bs[k] == 1 ? 0 : c) * bStr[k];
            }
            v[i] = f.applyAsDouble(a.v[(int) ai], b.v[(int) bi]);
        }
        return new Nd(type, shape, v);
    }

    private static long[] pad(long[] s, int rank) {
        long[] p = new long[rank];
        Arrays.fill(p, 1);
        System.arraycopy(s, 0, p, rank - s.length, s.length);
        return p;
    }

    private static long[] reversed(int rank) {
        long[] p = new long[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = rank - 1 - i;
        }
        return p;
    }

    private static long clampAxis(long a, int rank) {
        long v = a < 0 ? a + rank : a;
        return Math.max(0, Math.min(rank, v));
    }
}
