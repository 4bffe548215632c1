package org.filtervis.tf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.ConstantFolder;
import org.filtervis.graph.Geometry;
import org.filtervis.graph.Graph;
import org.filtervis.graph.Node;
import org.filtervis.graph.Operators;
import org.filtervis.graph.Tensor;
import org.tensorflow.Output;

/**
 * Lowers the graph module's ONNX graph to TensorFlow ops for one fixed batch size, so every shape
 * is static and shape subgraphs fold in Java ({@link ConstantFolder}) as they come.
 *
 * <p><b>Layout.</b> TensorFlow's CPU convolutions and pooling are NHWC only. A lowered value
 * carries a flag: {@code nhwc} means its ONNX (logical) tensor is NCHW but it is stored NHWC.
 * Convolutions and pooling produce NHWC; elementwise ops, Concat, Split, Slice, reductions and
 * Pad keep it and map their axes; ops that depend on memory order (Reshape, Flatten, MatMul, ...)
 * take the logical order, with one Transpose where needed. The model's own layout stays at the
 * boundary: the image placeholder is what the model takes.
 *
 * <p><b>Gradients that TensorFlow gets wrong.</b> Its C++ gradient of a dilated Conv2D or
 * DepthwiseConv2dNative ignores the dilation, so dilated convolutions are lowered as
 * SpaceToBatchND, an undilated convolution and BatchToSpaceND, whose gradients are right.
 * FusedBatchNorm is never emitted: inference BatchNormalization becomes Mul and Add (cheap
 * forward and backward) when it was not folded into its Conv already.
 */
final class TfLowering {

    /** Where a logical NCHW axis lives in NHWC. */
    private static final int[] PHYSICAL = {0, 3, 1, 2};
    private static final int[] TO_NHWC = {0, 2, 3, 1};
    private static final int[] TO_NCHW = {0, 3, 1, 2};

    /** A lowered tensor: the TensorFlow output, and whether it is a logical NCHW tensor stored NHWC. */
    record Value(Output<?> out, boolean nhwc) {}

    private final Graph graph;
    private final TfOps tf;
    private final Map<String, Value> values = new HashMap<>();
    private final Map<String, Tensor> constants;

    TfLowering(Graph graph, TfOps tf) {
        this.graph = graph;
        this.tf = tf;
        this.constants = new HashMap<>(graph.initializers);
    }

    /** Lowers every node; {@code image} feeds the graph input {@code inputName}. Returns the lowered tensors by ONNX name. */
    Map<String, Value> lower(String inputName, Output<?> image) {
        return lower(inputName, new Value(image, false));
    }

    /** As {@link #lower(String, Output)}, with the image given as a lowered value (an NHWC image for an NCHW model, say). */
    Map<String, Value> lower(String inputName, Value image) {
        values.put(inputName, image);
        for (Node n : graph.nodes) {
            if (Operators.foldOrRequireLowered(n, constants, name -> values.containsKey(name) ? shape(values.get(name)) : null, "tf")) {
                continue;
            }
            List<Value> outs;
            try {
                outs = apply(n);
            } catch (IllegalArgumentException e) {
                // TensorFlow's shape inference rejected the op (usually: the image size does not fit the model).
                throw new IllegalArgumentException(n.opType() + " node '" + n.describe() + "': " + Operators.firstLine(e.getMessage()), e);
            }
            for (int i = 0; i < outs.size() && i < n.outputs().size(); i++) {
                values.put(n.output(i), outs.get(i));
            }
        }
        return values;
    }

    /** The logical (ONNX) shape of a lowered tensor. */
    static long[] shape(Value v) {
        long[] p = TfOps.shape(v.out());
        return v.nhwc() ? new long[] {p[0], p[3], p[1], p[2]} : p;
    }

    /** Physical position of logical axis {@code a} of a value. */
    private static int physical(Value v, int a) {
        return v.nhwc() ? PHYSICAL[a] : a;
    }

    private Value plain(Value v) {
        return v.nhwc() ? new Value(tf.transpose(v.out(), TO_NCHW), false) : v;
    }

    private Value nhwc(Value v) {
        if (v.nhwc()) {
            return v;
        }
        if (shape(v).length != 4) {
            throw new IllegalArgumentException("expected a 4-D tensor, got shape " + Arrays.toString(shape(v)));
        }
        return new Value(tf.transpose(v.out(), TO_NHWC), true);
    }

    private Tensor constant(Node n, int i) {
        Tensor t = constants.get(n.input(i));
        if (t == null) {
            throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' has a computed input '" + n.input(i)
                    + "'; backend tf needs it constant for the image size at hand");
        }
        return t;
    }

    /** Input {@code i} as a lowered value; a constant becomes a plain Const. */
    private Value in(Node n, int i) {
        Value v = values.get(n.input(i));
        if (v != null) {
            return v;
        }
        return new Value(constantOp(constant(n, i), n.input(i)), false);
    }

    private Output<?> constantOp(Tensor t, String hint) {
        return switch (t.type()) {
            case FLOAT, DOUBLE -> tf.floats(hint, t.shape(), t.floats());
            default -> tf.int64s(t.shape(), t.longs());
        };
    }

    /** A float constant broadcast against a tensor of {@code rank} in the given layout: ones prepended, then NHWC order. */
    private Output<?> constantIn(Tensor t, int rank, boolean nhwc, String hint) {
        long[] s = t.shape();
        long[] full = new long[rank];
        Arrays.fill(full, 1);
        System.arraycopy(s, 0, full, rank - s.length, s.length);
        if (!nhwc) {
            return tf.floats(hint, full, t.floats());
        }
        return tf.floats(hint, permuted(full, TO_NHWC), permute(t.floats(), full, TO_NHWC));
    }

    static float[] permute(float[] data, long[] shape, int[] perm) {
        return Tensor.transpose(data, shape, perm);
    }

    static long[] permuted(long[] shape, int[] perm) {
        long[] out = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = shape[perm[i]];
        }
        return out;
    }

    private static List<Value> one(Output<?> out, boolean nhwc) {
        return List.of(new Value(out, nhwc));
    }

    private static List<Value> same(Value x, Output<?> out) {
        return List.of(new Value(out, x.nhwc()));
    }

    private List<Value> apply(Node n) {
        Value x = in(n, 0);
        Output<?> o = x.out();
        String h = n.name().isEmpty() ? n.opType() : n.name();
        return switch (n.opType()) {
            case "Identity", "Dropout" -> List.of(x);
            case "Cast" -> {
                if (n.attr("to", 0L) != 1) {
                    throw FiltervisException.failure("Cast node '" + n.describe() + "' casts to a non-float type; backend tf differentiates float32 only");
                }
                yield List.of(x);
            }
            case "Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Sqrt", "Neg" -> same(x, tf.op(n.opType(), h, o));
            case "LeakyRelu" -> same(x, tf.op("LeakyRelu", h, b -> b.setAttr("alpha", n.attr("alpha", 0.01f)), o));
            case "Pow" -> {
                float e = constant(n, 1).floats()[0];
                yield same(x, e == 2f ? tf.op("Square", h, o) : tf.op("Pow", h, o, tf.scalar(e)));
            }
            case "HardSigmoid" -> same(x, tf.op("Minimum", h, tf.op("Maximum", h, tf.op("AddV2", h,
                    tf.op("Mul", h, o, tf.scalar(n.attr("alpha", 0.2f))), tf.scalar(n.attr("beta", 0.5f))), tf.scalar(0f)), tf.scalar(1f)));
            case "HardSwish" -> same(x, tf.op("Mul", h, tf.op("Mul", h, o, tf.op("Relu6", h, tf.op("AddV2", h, o, tf.scalar(3f)))),
                    tf.scalar(1f / 6)));
            case "Clip" -> same(x, clip(n, o, h));
            case "Softmax" -> softmax(n, x, h);
            case "Add" -> binary("AddV2", n, h);
            case "Sub" -> binary("Sub", n, h);
            case "Mul" -> binary("Mul", n, h);
            case "Div" -> binary("RealDiv", n, h);
            case "Sum" -> {
                List<Value> acc = List.of(x);
                for (int i = 1; i < n.inputs().size(); i++) {
                    acc = binary("AddV2", acc.get(0), in(n, i), h);
                }
                yield acc;
            }
            case "MatMul" -> {
                Value a = plain(x);
                Value b = plain(in(n, 1));
                boolean two = shape(a).length == 2 && shape(b).length == 2;
                yield one(tf.op(two ? "MatMul" : "BatchMatMulV2", h, a.out(), b.out()), false);
            }
            case "Gemm" -> one(gemm(n, plain(x).out(), h), false);
            case "Conv" -> one(conv(n, nhwc(x), h), true);
            case "BatchNormalization" -> batchNorm(n, x, h);
            case "LayerNormalization" -> layerNorm(n, x, h);
            case "MaxPool", "AveragePool" -> one(pool(n, nhwc(x), h), true);
            case "GlobalAveragePool" -> {
                int rank = shape(x).length;
                if (rank == 4) {
                    yield one(tf.mean(nhwc(x).out(), true, 1, 2), true);
                }
                int[] axes = new int[rank - 2];
                Arrays.setAll(axes, i -> i + 2);
                yield one(tf.mean(o, true, axes), false);
            }
            case "ReduceMean", "ReduceSum" -> reduce(n, x, h);
            case "Concat" -> concat(n, x, h);
            case "Split" -> split(n, x, h);
            case "Slice" -> slice(n, x, h);
            case "Gather" -> gather(n, x, h);
            case "Expand" -> {
                Value p = plain(x);
                yield one(tf.op("BroadcastTo", h, p.out(), tf.ints(Geometry.broadcast(shape(p), constant(n, 1).longs()))), false);
            }
            case "Pad" -> {
                if (!n.attr("mode", "constant").equals("constant")) {
                    throw FiltervisException.failure("Pad node '" + n.describe() + "' uses mode " + n.attr("mode", "") + "; backend tf supports constant padding");
                }
                long[] pads = constant(n, 1).longs();
                int rank = shape(x).length;
                long[] begin = Arrays.copyOfRange(pads, 0, rank);
                long[] end = Arrays.copyOfRange(pads, rank, 2 * rank);
                float value = n.inputs().size() > 2 && !n.input(2).isEmpty() ? constant(n, 2).floats()[0] : 0f;
                yield same(x, pad(x, begin, end, value, h));
            }
            case "Flatten" -> {
                Value p = plain(x);
                long[] s = shape(p);
                int axis = Geometry.axis(n.attr("axis", 1L), s.length);
                long outer = Tensor.elements(Arrays.copyOfRange(s, 0, axis));
                yield one(tf.reshape(p.out(), -1, Tensor.elements(s) / Math.max(outer, 1)), false);
            }
            case "Reshape" -> {
                Value p = plain(x);
                long[] s = shape(p);
                yield one(tf.reshape(p.out(), batchFree(s, ConstantFolder.reshapeTarget(s, constant(n, 1).longs(), n.attr("allowzero", 0L) != 0))), false);
            }
            case "Squeeze", "Unsqueeze" -> {
                Value p = plain(x);
                yield one(tf.reshape(p.out(), batchFree(shape(p), squeezed(n, shape(p)))), false);
            }
            case "Transpose" -> transpose(n, x, h);
            case "ConstantOfShape" -> {
                var value = n.attributes().get("value");
                long[] s = constant(n, 0).longs();
                float[] v = new float[(int) Tensor.elements(s)];
                Arrays.fill(v, value == null ? 0 : value.asTensor().floats()[0]);
                yield one(tf.floats(h, s, v), false);
            }
            default -> throw new IllegalStateException("no lowering for " + n.opType());
        };
    }

    private Output<?> clip(Node n, Output<?> o, String h) {
        boolean hasLo = n.inputs().size() > 1 && !n.input(1).isEmpty();
        boolean hasHi = n.inputs().size() > 2 && !n.input(2).isEmpty();
        float lo = hasLo ? constant(n, 1).floats()[0] : Float.NEGATIVE_INFINITY;
        float hi = hasHi ? constant(n, 2).floats()[0] : Float.POSITIVE_INFINITY;
        if (lo == 0f && hi == 6f) {
            return tf.op("Relu6", h, o);
        }
        Output<?> y = hasLo ? tf.op("Maximum", h, o, tf.scalar(lo)) : o;
        return hasHi ? tf.op("Minimum", h, y, tf.scalar(hi)) : y;
    }

    private List<Value> binary(String op, Node n, String h) {
        Value a = values.get(n.input(0));
        Value b = values.get(n.input(1));
        if (a == null && b == null) {
            return binary(op, in(n, 0), in(n, 1), h);
        }
        if (a == null || b == null) {
            // One side constant: put it in the other side's layout.
            Value v = a != null ? a : b;
            Tensor c = constant(n, a != null ? 1 : 0);
            int rank = Math.max(shape(v).length, c.rank());
            boolean toNhwc = v.nhwc() && rank == 4;
            Value cv = new Value(constantIn(c, rank, toNhwc, h), toNhwc);
            Value vv = toNhwc ? v : plain(v);
            return a != null ? one(tf.op(op, h, vv.out(), cv.out()), toNhwc) : one(tf.op(op, h, cv.out(), vv.out()), toNhwc);
        }
        return binary(op, a, b, h);
    }

    private List<Value> binary(String op, Value a, Value b, String h) {
        long[] sa = shape(a);
        long[] sb = shape(b);
        int rank = Math.max(sa.length, sb.length);
        if ((a.nhwc() || b.nhwc()) && rank == 4) {
            return one(tf.op(op, h, toNhwc(a, sa).out(), toNhwc(b, sb).out()), true);
        }
        return one(tf.op(op, h, plain(a).out(), plain(b).out()), false);
    }

    /** A value broadcast against a 4-D tensor, in NHWC: lower ranks get leading ones first. */
    private Value toNhwc(Value v, long[] s) {
        if (v.nhwc()) {
            return v;
        }
        if (s.length == 4) {
            return nhwc(v);
        }
        long[] full = new long[4];
        Arrays.fill(full, 1);
        System.arraycopy(s, 0, full, 4 - s.length, s.length);
        return nhwc(new Value(tf.reshape(v.out(), full), false));
    }

    private Output<?> gemm(Node n, Output<?> a, String h) {
        Output<?> b = plain(in(n, 1)).out();
        boolean ta = n.attr("transA", 0L) != 0;
        boolean tb = n.attr("transB", 0L) != 0;
        Output<?> y = tf.op("MatMul", h, bd -> bd.setAttr("transpose_a", ta).setAttr("transpose_b", tb), a, b);
        float alpha = n.attr("alpha", 1f);
        if (alpha != 1f) {
            y = tf.op("Mul", h, y, tf.scalar(alpha));
        }
        if (n.inputs().size() > 2 && !n.input(2).isEmpty()) {
            Output<?> c = plain(in(n, 2)).out();
            float beta = n.attr("beta", 1f);
            y = tf.op("AddV2", h, y, beta == 1f ? c : tf.op("Mul", h, c, tf.scalar(beta)));
        }
        return y;
    }

    /** Zero (or {@code value}) padding given in logical axes. */
    private Output<?> pad(Value x, long[] begin, long[] end, float value, String h) {
        int rank = begin.length;
        int[] p = new int[2 * rank];
        boolean any = false;
        for (int a = 0; a < rank; a++) {
            int q = physical(x, a);
            if (begin[a] < 0 || end[a] < 0) {
                throw FiltervisException.failure("negative pads (cropping) are not supported by backend tf");
            }
            p[2 * q] = (int) begin[a];
            p[2 * q + 1] = (int) end[a];
            any |= begin[a] != 0 || end[a] != 0;
        }
        if (!any) {
            return x.out();
        }
        return tf.op("PadV2", h, x.out(), tf.reshape(tf.ints(p), rank, 2), tf.scalar(value));
    }

    private Output<?> conv(Node n, Value x, String h) {
        Tensor w = constant(n, 1);
        long[] ws = w.shape();
        if (ws.length != 4) {
            throw FiltervisException.failure("Conv node '" + n.describe() + "' is not 2-D; backend tf lowers 2-D convolutions only");
        }
        long[] s = shape(x);
        long[] kernel = {ws[2], ws[3]};
        long[] stride = n.attr("strides", new long[] {1, 1});
        long[] dilation = n.attr("dilations", new long[] {1, 1});
        long[][] p = Geometry.pads(n, new long[] {s[2], s[3]}, kernel, stride, dilation);
        // Where TensorFlow's SAME padding is exactly the model's (most stride-1 convolutions), the
        // convolution pads itself: no padded copy forward and no slice backward.
        boolean same = dilation[0] == 1 && dilation[1] == 1 && isSame(s[2], kernel[0], stride[0], p[0][0], p[1][0])
                && isSame(s[3], kernel[1], stride[1], p[0][1], p[1][1]);
        Value padded = same ? x : new Value(pad(x, new long[] {0, 0, p[0][0], p[0][1]}, new long[] {0, 0, p[1][0], p[1][1]}, 0f, h), true);
        String padding = same ? "SAME" : "VALID";
        int group = (int) n.attr("group", 1L);
        long cin = s[1];
        long outC = ws[0];
        Output<?> y;
        if (group == 1) {
            y = convolution("Conv2D", padded.out(), tf.floats(h + "/kernel", permuted(ws, new int[] {2, 3, 1, 0}),
                    permute(w.floats(), ws, new int[] {2, 3, 1, 0})), stride, dilation, padding, h);
        } else if (ws[1] == 1 && group == cin) {
            // Depthwise: ONNX output channel c*m + j reads input channel c; TensorFlow's filter is [kh, kw, C, m].
            long mult = outC / cin;
            long[] split = {cin, mult, ws[2], ws[3]};
            y = convolution("DepthwiseConv2dNative", padded.out(), tf.floats(h + "/kernel", permuted(split, new int[] {2, 3, 0, 1}),
                    permute(w.floats(), split, new int[] {2, 3, 0, 1})), stride, dilation, padding, h);
        } else {
            // Grouped: one convolution per group (TensorFlow's CPU Conv2D takes no groups).
            long perGroupOut = outC / group;
            long perGroupIn = ws[1];
            float[] all = w.floats();
            int groupSize = (int) (perGroupOut * perGroupIn * ws[2] * ws[3]);
            org.tensorflow.GraphOperation parts = tf.build("Split", h + "/groups", b -> b.setAttr("num_split", group), tf.axis(3), padded.out());
            Output<?>[] ys = new Output<?>[group];
            long[] gs = {perGroupOut, perGroupIn, ws[2], ws[3]};
            for (int g = 0; g < group; g++) {
                float[] part = Arrays.copyOfRange(all, g * groupSize, (g + 1) * groupSize);
                ys[g] = convolution("Conv2D", parts.output(g), tf.floats(h + "/kernel", permuted(gs, new int[] {2, 3, 1, 0}),
                        permute(part, gs, new int[] {2, 3, 1, 0})), stride, dilation, padding, h);
            }
            y = concatOutputs(ys, 3, h);
        }
        if (n.inputs().size() > 2 && !n.input(2).isEmpty()) {
            Tensor bias = constant(n, 2);
            y = tf.op("BiasAdd", h, y, tf.floats(h + "/bias", bias.shape(), bias.floats()));
        }
        return y;
    }

    private Output<?> concatOutputs(Output<?>[] parts, int axis, String h) {
        var b = tf.graph.opBuilder("ConcatV2", tf.uniqueName(h + "/concat"), tf.graph.baseScope());
        b.addInputList(parts);
        b.addInput(tf.axis(axis));
        return b.build().output(0);
    }

    /**
     * An NHWC convolution without padding. Dilated ones go through SpaceToBatchND: each phase of the
     * dilation becomes a batch item convolved undilated (TensorFlow's own gradient for a dilated
     * kernel is wrong); a stride with dilation is the dilated result subsampled.
     */
    /** Whether TensorFlow's SAME padding of an axis is exactly {@code begin, end}. */
    private static boolean isSame(long in, long kernel, long stride, long begin, long end) {
        long out = (in + stride - 1) / stride;
        long total = Math.max(0, (out - 1) * stride + kernel - in);
        return begin == total / 2 && end == total - total / 2;
    }

    private Output<?> convolution(String op, Output<?> x, Output<?> filter, long[] stride, long[] dilation, String padding, String h) {
        if (dilation[0] == 1 && dilation[1] == 1) {
            return tf.op(op, h, b -> b.setAttr("strides", new long[] {1, stride[0], stride[1], 1}).setAttr("padding", padding)
                    .setAttr("data_format", "NHWC"), x, filter);
        }
        long[] s = TfOps.shape(x);
        int extraH = (int) Math.floorMod(-s[1], dilation[0]);
        int extraW = (int) Math.floorMod(-s[2], dilation[1]);
        Output<?> block = tf.ints(dilation[0], dilation[1]);
        Output<?> edges = tf.reshape(tf.ints(0, extraH, 0, extraW), 2, 2);
        Output<?> phases = tf.op("SpaceToBatchND", h, x, block, edges);
        Output<?> conv = tf.op(op, h, b -> b.setAttr("strides", new long[] {1, 1, 1, 1}).setAttr("padding", "VALID").setAttr("data_format", "NHWC"),
                phases, filter);
        Output<?> y = tf.op("BatchToSpaceND", h, conv, block, edges);
        if (stride[0] == 1 && stride[1] == 1) {
            return y;
        }
        long[] ys = TfOps.shape(y);
        return tf.op("StridedSlice", h, y, tf.ints(0, 0, 0, 0), tf.ints(ys), tf.ints(1, (int) stride[0], (int) stride[1], 1));
    }

    private Output<?> pool(Node n, Value x, String h) {
        long[] s = shape(x);
        long[] kernel = n.attr("kernel_shape", new long[0]);
        if (kernel.length != 2) {
            throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' is not 2-D; backend tf lowers 2-D pooling only");
        }
        long[] stride = n.attr("strides", new long[] {1, 1});
        long[] dilation = n.attr("dilations", new long[] {1, 1});
        if (dilation[0] != 1 || dilation[1] != 1) {
            throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' is dilated; backend tf lowers undilated pooling only");
        }
        boolean ceil = n.attr("ceil_mode", 0L) != 0;
        long[][] p = Geometry.pads(n, new long[] {s[2], s[3]}, kernel, stride, dilation);
        long[] out = new long[2];
        long[] end = new long[2];
        for (int i = 0; i < 2; i++) {
            out[i] = Geometry.poolOutput(s[2 + i], p[0][i], p[1][i], kernel[i], stride[i], ceil);
            // ceil_mode's last partial window: pad the end so that a VALID window fits.
            end[i] = Math.max(p[1][i], (out[i] - 1) * stride[i] + kernel[i] - s[2 + i] - p[0][i]);
        }
        boolean max = n.opType().equals("MaxPool");
        Output<?> padded = pad(x, new long[] {0, 0, p[0][0], p[0][1]}, new long[] {0, 0, end[0], end[1]}, max ? Float.NEGATIVE_INFINITY : 0f, h);
        Output<?> y = tf.op(max ? "MaxPool" : "AvgPool", h, b -> b.setAttr("ksize", new long[] {1, kernel[0], kernel[1], 1})
                .setAttr("strides", new long[] {1, stride[0], stride[1], 1}).setAttr("padding", "VALID").setAttr("data_format", "NHWC"), padded);
        if (max) {
            return y;
        }
        // AvgPool divided by the whole window; ONNX divides by the cells inside the input (or inside
        // the padded input with count_include_pad): rescale by window / count.
        boolean includePad = n.attr("count_include_pad", 0L) != 0;
        float[][] counts = new float[2][];
        boolean uniform = true;
        for (int i = 0; i < 2; i++) {
            counts[i] = new float[(int) out[i]];
            long lo = includePad ? -p[0][i] : 0;
            long hi = includePad ? s[2 + i] + p[1][i] : s[2 + i];
            for (int j = 0; j < out[i]; j++) {
                long start = j * stride[i] - p[0][i];
                counts[i][j] = Math.min(start + kernel[i], hi) - Math.max(start, lo);
                uniform &= counts[i][j] == kernel[i];
            }
        }
        if (uniform) {
            return y;
        }
        float[] scale = new float[(int) (out[0] * out[1])];
        for (int a = 0; a < out[0]; a++) {
            for (int b = 0; b < out[1]; b++) {
                scale[(int) (a * out[1] + b)] = kernel[0] * kernel[1] / (counts[0][a] * counts[1][b]);
            }
        }
        return tf.op("Mul", h, y, tf.floats(h + "/count", new long[] {1, out[0], out[1], 1}, scale));
    }

    private List<Value> batchNorm(Node n, Value x, String h) {
        float[] scale = constant(n, 1).floats();
        float[] beta = constant(n, 2).floats();
        float[] mean = constant(n, 3).floats();
        float[] var = constant(n, 4).floats();
        double eps = n.attr("epsilon", 1e-5f);
        float[] k = new float[scale.length];
        float[] shift = new float[scale.length];
        for (int c = 0; c < k.length; c++) {
            k[c] = (float) (scale[c] / Math.sqrt(var[c] + eps));
            shift[c] = (float) (beta[c] - mean[c] * k[c]);
        }
        int rank = shape(x).length;
        long[] cs = new long[rank - 1];
        Arrays.fill(cs, 1);
        cs[0] = k.length;
        boolean nh = x.nhwc();
        Output<?> y = tf.op("Mul", h, x.out(), constantIn(Tensor.ofFloats(cs, k), rank, nh, h + "/scale"));
        return same(x, tf.op("AddV2", h, y, constantIn(Tensor.ofFloats(cs, shift), rank, nh, h + "/shift")));
    }

    private List<Value> layerNorm(Node n, Value x, String h) {
        long[] s = shape(x);
        int rank = s.length;
        int axis = Geometry.axis(n.attr("axis", -1L), rank);
        int[] axes = new int[rank - axis];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = physical(x, axis + i);
        }
        Output<?> o = x.out();
        Output<?> centred = tf.op("Sub", h, o, tf.mean(o, true, axes));
        Output<?> var = tf.mean(tf.op("Square", h, centred), true, axes);
        Output<?> y = tf.op("Mul", h, centred, tf.op("Rsqrt", h, tf.op("AddV2", h, var, tf.scalar(n.attr("epsilon", 1e-5f)))));
        y = tf.op("Mul", h, y, constantIn(constant(n, 1), rank, x.nhwc(), h + "/scale"));
        if (n.inputs().size() > 2 && !n.input(2).isEmpty()) {
            y = tf.op("AddV2", h, y, constantIn(constant(n, 2), rank, x.nhwc(), h + "/bias"));
        }
        return same(x, y);
    }

    private List<Value> softmax(Node n, Value x, String h) {
        Value p = plain(x);
        int rank = shape(p).length;
        int axis = Geometry.axis(n.attr("axis", -1L), rank);
        if (axis == rank - 1) {
            return one(tf.op("Softmax", h, p.out()), false);
        }
        int[] swap = new int[rank];
        Arrays.setAll(swap, i -> i);
        swap[axis] = rank - 1;
        swap[rank - 1] = axis;
        return one(tf.transpose(tf.op("Softmax", h, tf.transpose(p.out(), swap)), swap), false);
    }

    private List<Value> reduce(Node n, Value x, String h) {
        long[] s = shape(x);
        int rank = s.length;
        long[] given = n.inputs().size() > 1 && !n.input(1).isEmpty() ? constant(n, 1).longs() : n.attr("axes", (long[]) null);
        boolean keep = n.attr("keepdims", 1L) != 0;
        boolean[] removed = new boolean[rank];
        if (given == null || given.length == 0) {
            Arrays.fill(removed, true);
        } else {
            for (long a : given) {
                removed[Geometry.axis(a, rank)] = true;
            }
        }
        // Without keepdims, an NHWC value keeps the logical order only when C goes, or H and W both go.
        Value v = x.nhwc() && !keep && !(removed[1] || (removed[2] && removed[3])) ? plain(x) : x;
        List<Integer> axes = new ArrayList<>();
        for (int a = 0; a < rank; a++) {
            if (removed[a]) {
                axes.add(physical(v, a));
            }
        }
        String op = n.opType().equals("ReduceMean") ? "Mean" : "Sum";
        Output<?> y = tf.op(op, h, b -> b.setAttr("keep_dims", keep), v.out(), tf.ints(axes.stream().mapToInt(Integer::intValue).toArray()));
        return one(y, v.nhwc() && keep);
    }

    private List<Value> concat(Node n, Value x, String h) {
        int count = n.inputs().size();
        if (count == 1) {
            return List.of(x);
        }
        Value[] parts = new Value[count];
        boolean anyNhwc = false;
        for (int i = 0; i < count; i++) {
            parts[i] = in(n, i);
            anyNhwc |= parts[i].nhwc();
        }
        int rank = shape(x).length;
        boolean nh = anyNhwc && rank == 4;
        Output<?>[] outs = new Output<?>[count];
        for (int i = 0; i < count; i++) {
            outs[i] = (nh ? nhwc(parts[i]) : plain(parts[i])).out();
        }
        int axis = Geometry.axis(n.attr("axis", 0L), rank);
        return one(concatOutputs(outs, nh ? PHYSICAL[axis] : axis, h), nh);
    }

    private List<Value> split(Node n, Value x, String h) {
        long[] s = shape(x);
        int axis = Geometry.axis(n.attr("axis", 0L), s.length);
        long[] sizes = n.inputs().size() > 1 && !n.input(1).isEmpty() ? constant(n, 1).longs() : n.attr("split", (long[]) null);
        int parts = n.outputs().size();
        if (sizes == null) {
            sizes = new long[parts];
            Arrays.fill(sizes, s[axis] / parts);
        }
        org.tensorflow.GraphOperation op = tf.build("SplitV", h, b -> b.setAttr("num_split", parts), x.out(), tf.ints(sizes), tf.axis(physical(x, axis)));
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            outs.add(new Value(op.output(i), x.nhwc()));
        }
        return outs;
    }

    private List<Value> slice(Node n, Value x, String h) {
        long[] s = shape(x);
        int rank = s.length;
        long[] starts = constant(n, 1).longs();
        long[] ends = constant(n, 2).longs();
        long[] axes = n.inputs().size() > 3 && !n.input(3).isEmpty() ? constant(n, 3).longs() : null;
        long[] steps = n.inputs().size() > 4 && !n.input(4).isEmpty() ? constant(n, 4).longs() : null;
        int[] begin = new int[rank];
        int[] end = new int[rank];
        int[] step = new int[rank];
        for (int a = 0; a < rank; a++) {
            end[physical(x, a)] = (int) s[a];
            step[a] = 1;
        }
        for (int k = 0; k < starts.length; k++) {
            int a = axes == null ? k : Geometry.axis(axes[k], rank);
            long st = steps == null ? 1 : steps[k];
            if (st <= 0) {
                throw FiltervisException.failure("Slice node '" + n.describe() + "' has step " + st + "; backend tf supports positive steps");
            }
            long d = s[a];
            long b = Math.max(0, Math.min(d, starts[k] < 0 ? starts[k] + d : starts[k]));
            long e = Math.max(b, Math.min(d, ends[k] < 0 ? ends[k] + d : ends[k]));
            int q = physical(x, a);
            begin[q] = (int) b;
            end[q] = (int) e;
            step[q] = (int) st;
        }
        return same(x, tf.op("StridedSlice", h, x.out(), tf.ints(begin), tf.ints(end), tf.ints(step)));
    }

    private List<Value> gather(Node n, Value x, String h) {
        Tensor idx = constants.get(n.input(1));
        if (idx == null || values.containsKey(n.input(1))) {
            throw FiltervisException.failure("Gather node '" + n.describe() + "' has computed indices; backend tf needs them constant");
        }
        long[] s = shape(x);
        int axis = Geometry.axis(n.attr("axis", 0L), s.length);
        long[] ids = idx.longs();
        int[] norm = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            norm[i] = (int) (ids[i] < 0 ? ids[i] + s[axis] : ids[i]);
        }
        Output<?> indices = tf.reshape(tf.ints(norm), idx.shape());
        // A rank-1 index keeps the rank, so NHWC stays; otherwise gather in logical order.
        Value v = idx.rank() == 1 ? x : plain(x);
        return one(tf.op("GatherV2", h, v.out(), indices, tf.axis(physical(v, axis))), v.nhwc());
    }

    /**
     * A reshape target that keeps the batch as -1, so a graph written for one batch size (convert)
     * runs at any other: the lowered shapes are for the batch at hand, the batch axis is free.
     */
    private static long[] batchFree(long[] from, long[] target) {
        if (from.length > 0 && target.length > 0 && target[0] == from[0]) {
            long[] t = target.clone();
            t[0] = -1;
            return t;
        }
        return target;
    }

    /** The shape after Squeeze or Unsqueeze (axes from the input or, before opset 13, the attribute). */
    private long[] squeezed(Node n, long[] s) {
        long[] axes = n.inputs().size() > 1 && !n.input(1).isEmpty() ? constant(n, 1).longs() : n.attr("axes", (long[]) null);
        List<Long> out = new ArrayList<>();
        if (n.opType().equals("Squeeze")) {
            Set<Integer> gone = new java.util.HashSet<>();
            if (axes != null) {
                for (long a : axes) {
                    gone.add(Geometry.axis(a, s.length));
                }
            }
            for (int i = 0; i < s.length; i++) {
                if (axes == null ? s[i] != 1 : !gone.contains(i)) {
                    out.add(s[i]);
                }
            }
        } else {
            int rank = s.length + axes.length;
            Set<Integer> added = new java.util.HashSet<>();
            for (long a : axes) {
                added.add(Geometry.axis(a, rank));
            }
            int j = 0;
            for (int i = 0; i < rank; i++) {
                out.add(added.contains(i) ? 1L : s[j++]);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private List<Value> transpose(Node n, Value x, String h) {
        int rank = shape(x).length;
        long[] given = n.attr("perm", (long[]) null);
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = given == null ? rank - 1 - i : (int) given[i];
        }
        // In terms of the stored tensor: logical = stored transposed by TO_NCHW when NHWC.
        int[] fromStored = new int[rank];
        for (int i = 0; i < rank; i++) {
            fromStored[i] = x.nhwc() ? TO_NCHW[perm[i]] : perm[i];
        }
        if (rank == 4) {
            // Stored NHWC result: logical result transposed by TO_NHWC; free when that is the stored tensor itself.
            int[] asNhwc = new int[4];
            for (int i = 0; i < 4; i++) {
                asNhwc[i] = fromStored[TO_NHWC[i]];
            }
            if (isIdentity(asNhwc)) {
                return List.of(new Value(x.out(), true));
            }
        }
        return isIdentity(fromStored) ? List.of(new Value(x.out(), false)) : one(tf.transpose(x.out(), fromStored), false);
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }
}
