package org.filtervis.graph;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.filtervis.api.ReceptiveField;

/**
 * Receptive fields from an ONNX graph: each tensor's positions map to image rows and columns as
 * stride * p + [lo, hi]. A Conv or pooling window of kernel k, stride s, begin pad b and dilation d
 * turns (stride J, lo, hi) into (J s, lo - J b, hi + J (d (k - 1) - b)); operators that keep the
 * spatial grid (activations, normalizations, additions, concatenations over channels,
 * transpositions of the layout) keep it, taking the union over their inputs. Anything else on the
 * way (resizing, reshaping, global pooling) leaves the field unknown.
 */
public final class ReceptiveFields {
    private ReceptiveFields() {}

    /** Along one axis. */
    private record Axis(long stride, long lo, long hi) {
        Axis union(Axis o) {
            return stride == o.stride ? new Axis(stride, Math.min(lo, o.lo), Math.max(hi, o.hi)) : null;
        }
    }

    private record Field(Axis y, Axis x) {}

    /** Operators that keep every position where it is. */
    static final Set<String> POINTWISE = Set.of("Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
            "Clip", "BatchNormalization", "InstanceNormalization", "Add", "Sub", "Mul", "Div", "Concat", "Identity", "Dropout", "Sum", "Max",
            "Min", "Mean", "Softplus", "Mish", "Gelu", "Erf", "Pow", "Sqrt", "Neg", "Abs", "Exp", "Log", "Cast", "Transpose");
    static final Set<String> WINDOWS = Set.of("Conv", "MaxPool", "AveragePool", "LpPool");

    /** The field of {@code tensor}'s positions in graph {@code g} (prepared: one image input), or empty when unknown. */
    public static Optional<ReceptiveField> of(Graph g, String tensor) {
        String image = GraphPrep.imageInput(g).name();
        Map<String, Field> fields = new HashMap<>();
        fields.put(image, new Field(new Axis(1, 0, 0), new Axis(1, 0, 0)));
        for (Node n : g.nodes) {
            Field f = field(n, fields, g.initializers);
            if (f != null) {
                for (String out : n.outputs()) {
                    fields.put(out, f);
                }
            }
        }
        Field f = fields.get(tensor);
        if (f == null || f.y() == null || f.x() == null) {
            return Optional.empty();
        }
        return Optional.of(new ReceptiveField((int) f.y().stride(), (int) f.x().stride(), (int) f.y().lo(), (int) f.y().hi(), (int) f.x().lo(),
                (int) f.x().hi()));
    }

    private static Field field(Node n, Map<String, Field> fields, Map<String, Tensor> constants) {
        List<Field> in = n.inputs().stream().filter(i -> !i.isEmpty() && !constants.containsKey(i)).map(fields::get).toList();
        if (in.isEmpty() || in.contains(null)) {
            return null;
        }
        if (n.opType().equals("Pad")) {
            Tensor pads = n.inputs().size() > 1 ? constants.get(n.input(1)) : null;
            long[] p = pads != null ? pads.longs() : n.attr("pads", (long[]) null);
            if (p == null || p.length != 8) {
                return new Field(null, null);
            }
            Field f = in.get(0);
            return new Field(shift(f.y(), p[2]), shift(f.x(), p[3]));
        }
        if (WINDOWS.contains(n.opType())) {
            long[] k = n.attr("kernel_shape", (long[]) null);
            if (k == null && n.opType().equals("Conv") && constants.get(n.input(1)) != null) {
                long[] w = constants.get(n.input(1)).shape();
                k = w.length == 4 ? new long[] {w[2], w[3]} : null;
            }
            if (k == null || k.length != 2) {
                return null;
            }
            long[] s = n.attr("strides", new long[] {1, 1});
            long[] d = n.attr("dilations", new long[] {1, 1});
            String auto = n.attr("auto_pad", "NOTSET");
            if (auto.startsWith("SAME")) {
                // The begin pad depends on the input's size; half the window is what SAME pads for stride 1.
                long[] b = {(d[0] * (k[0] - 1)) / 2, (d[1] * (k[1] - 1)) / 2};
                return new Field(window(in.get(0).y(), k[0], s[0], b[0], d[0]), window(in.get(0).x(), k[1], s[1], b[1], d[1]));
            }
            long[] p = auto.equals("VALID") ? new long[4] : n.attr("pads", new long[4]);
            return new Field(window(in.get(0).y(), k[0], s[0], p[0], d[0]), window(in.get(0).x(), k[1], s[1], p[1], d[1]));
        }
        if (POINTWISE.contains(n.opType())) {
            Field f = in.get(0);
            for (Field o : in.subList(1, in.size())) {
                Axis y = f.y() == null || o.y() == null ? null : f.y().union(o.y());
                Axis x = f.x() == null || o.x() == null ? null : f.x().union(o.x());
                f = new Field(y, x);
            }
            return f;
        }
        return new Field(null, null);
    }

    /** A pad of {@code begin} positions: position p is the input's p - begin. */
    private static Axis shift(Axis a, long begin) {
        return a == null ? null : new Axis(a.stride(), a.lo() - a.stride() * begin, a.hi() - a.stride() * begin);
    }

    private static Axis window(Axis a, long k, long s, long b, long d) {
        if (a == null) {
            return null;
        }
        return new Axis(a.stride() * s, a.lo() - a.stride() * b, a.hi() + a.stride() * (d * (k - 1) - b));
    }
}
