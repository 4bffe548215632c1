package org.filtervis.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
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

/**
 * Runs the graph module's graph eagerly as DJL NDArray operations, so PyTorch's autograd can
 * differentiate it. Shape computations (Shape, Gather, Concat, ... on constants) are evaluated
 * in Java by {@link ConstantFolder} as they come; everything else becomes a PyTorch operation.
 * Weights are converted once and kept in the backend's manager.
 *
 * <p>Never pass a Java number to an NDArray operation here ({@code x.mul(2f)}, {@code
 * x.maximum(0f)}): DJL wraps the number in a tensor over a direct buffer and closes it as soon as
 * the operation returns, but autograd keeps that tensor for the backward pass, which then reads
 * freed memory. After a garbage collection the input gradient came out all zero or garbage
 * (ReLU6's {@code maximum(0)} in MobileNetV2, intermittently, with correct objectives).
 * Constants come from {@link #constant}, which libtorch owns and the call's scope keeps alive.
 */
final class DjlGraph {

    private final Graph graph;
    private final NDManager weightsManager;
    private final Map<String, NDArray> weights = new HashMap<>();
    /** The same arrays as {@link #weights}, by identity (NDArray.equals compares contents). */
    private final Set<NDArray> weightArrays = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    DjlGraph(Graph graph, NDManager weightsManager) {
        this.graph = graph;
        this.weightsManager = weightsManager;
    }

    /** Runs the graph on {@code image}; returns every tensor computed (constants excluded). */
    Map<String, NDArray> run(String inputName, NDArray image, NDManager scope) {
        return run(inputName, image, scope, Map.of());
    }

    /**
     * Runs the graph on {@code image} with the tensors of {@code given} taken as they are (nodes
     * that compute only those are skipped): a given array that requires a gradient then collects
     * d(loss)/d(that tensor), as a leaf of autograd.
     */
    Map<String, NDArray> run(String inputName, NDArray image, NDManager scope, Map<String, NDArray> given) {
        Map<String, NDArray> values = new HashMap<>(given);
        values.put(inputName, image);
        return run(graph.nodes, values, given, scope);
    }

    /** Runs on from tensor {@code from} given as {@code value}, only the nodes {@code outputs} need (no image). */
    Map<String, NDArray> runFrom(String from, NDArray value, java.util.Collection<String> outputs, NDManager scope) {
        List<Node> nodes = org.filtervis.graph.GraphPrep.nodesFrom(graph, from, outputs);
        Map<String, NDArray> values = new HashMap<>(Map.of(from, value));
        return run(nodes, values, Map.of(from, value), scope);
    }

    private Map<String, NDArray> run(List<Node> nodes, Map<String, NDArray> values, Map<String, NDArray> given, NDManager scope) {
        Map<String, Tensor> constants = new HashMap<>(graph.initializers);
        for (Node n : nodes) {
            if (!given.isEmpty() && n.outputs().stream().filter(o -> !o.isEmpty()).allMatch(given::containsKey)) {
                continue;
            }
            if (Operators.foldOrRequireLowered(n, constants, name -> values.containsKey(name) ? values.get(name).getShape().getShape() : null, "djl")) {
                continue;
            }
            List<NDArray> outs = apply(n, new Inputs(n, values, constants, scope));
            for (int i = 0; i < outs.size() && i < n.outputs().size(); i++) {
                NDArray out = outs.get(i);
                if (!weightArrays.contains(out) && out.getManager() != scope) {
                    out.attach(scope);
                }
                values.put(n.output(i), out);
            }
        }
        return values;
    }

    /** A node's inputs as arrays (weights cached) or as constants. */
    final class Inputs {
        final Node n;
        final Map<String, NDArray> values;
        final Map<String, Tensor> constants;
        final NDManager scope;

        Inputs(Node n, Map<String, NDArray> values, Map<String, Tensor> constants, NDManager scope) {
            this.n = n;
            this.values = values;
            this.constants = constants;
            this.scope = scope;
        }

        boolean has(int i) {
            return !n.input(i).isEmpty();
        }

        NDArray array(int i) {
            String name = n.input(i);
            NDArray v = values.get(name);
            if (v != null) {
                return v;
            }
            Tensor t = constants.get(name);
            if (t == null) {
                throw new IllegalStateException("no value for " + name);
            }
            if (graph.initializers.get(name) == t) {
                return weights.computeIfAbsent(name, k -> {
                    NDArray w = toArray(t, weightsManager);
                    weightArrays.add(w);
                    return w;
                });
            }
            return toArray(t, scope);
        }

        long[] longs(int i) {
            Tensor t = constants.get(n.input(i));
            if (t == null) {
                throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' has a computed input '" + n.input(i)
                        + "'; backend djl needs it constant for the image size at hand");
            }
            return t.longs();
        }

        float scalar(int i, float fallback) {
            return has(i) ? constants.get(n.input(i)).floats()[0] : fallback;
        }

        NDArray constant(float v) {
            return DjlGraph.constant(scope, v);
        }
    }

    /** A float32 scalar that libtorch owns (see the class comment), alive as long as {@code scope}. */
    static NDArray constant(NDManager scope, float v) {
        return scope.full(new Shape(), v);
    }

    static NDArray toArray(Tensor t, NDManager m) {
        NDArray a = switch (t.type()) {
            case INT64, INT32, INT8, UINT8, BOOL -> m.create(t.longs(), new Shape(t.shape()));
            default -> m.create(t.floats(), new Shape(t.shape()));
        };
        return a;
    }

    private static List<NDArray> one(NDArray a) {
        return List.of(a);
    }

    private List<NDArray> apply(Node n, Inputs in) {
        NDArray x = in.array(0);
        return switch (n.opType()) {
            case "Identity", "Dropout" -> one(x);
            case "Cast" -> {
                if (n.attr("to", 0L) != 1) {
                    throw FiltervisException.failure("Cast node '" + n.describe() + "' casts to a non-float type; backend djl differentiates float32 only");
                }
                yield one(x.toType(DataType.FLOAT32, false));
            }
            case "Relu" -> one(Activation.relu(x));
            case "LeakyRelu" -> one(Activation.leakyRelu(x, n.attr("alpha", 0.01f)));
            case "Sigmoid" -> one(Activation.sigmoid(x));
            case "Tanh" -> one(x.tanh());
            case "Erf" -> one(x.erf());
            case "Exp" -> one(x.exp());
            case "Sqrt" -> one(x.sqrt());
            case "Neg" -> one(x.neg());
            case "Pow" -> one(x.pow(in.constant(in.constants.get(n.input(1)).floats()[0])));
            case "HardSigmoid" -> one(x.mul(in.constant(n.attr("alpha", 0.2f))).add(in.constant(n.attr("beta", 0.5f))).clip(0, 1));
            case "HardSwish" -> one(x.mul(x.add(in.constant(3)).clip(0, 6)).div(in.constant(6)));
            case "Clip" -> {
                NDArray y = x;
                if (in.has(1)) {
                    y = y.maximum(in.constant(in.scalar(1, 0)));
                }
                if (in.has(2)) {
                    y = y.minimum(in.constant(in.scalar(2, 0)));
                }
                yield one(y);
            }
            case "Softmax" -> one(x.softmax((int) n.attr("axis", -1L)));
            case "Add" -> one(x.add(in.array(1)));
            case "Sub" -> one(x.sub(in.array(1)));
            case "Mul" -> one(x.mul(in.array(1)));
            case "Div" -> one(x.div(in.array(1)));
            case "Sum" -> {
                NDArray acc = x;
                for (int i = 1; i < n.inputs().size(); i++) {
                    acc = acc.add(in.array(i));
                }
                yield one(acc);
            }
            case "MatMul" -> one(x.matMul(in.array(1)));
            case "Gemm" -> one(gemm(n, in, x));
            case "Conv" -> one(conv(n, in, x));
            case "BatchNormalization" -> one(BatchNorm.batchNorm(x, in.array(3), in.array(4), in.array(1), in.array(2), 1, 0.1f,
                    n.attr("epsilon", 1e-5f), false).singletonOrThrow());
            case "LayerNormalization" -> {
                long[] s = x.getShape().getShape();
                int axis = (int) norm(n.attr("axis", -1L), s.length);
                yield one(LayerNorm.layerNorm(x, new Shape(Arrays.copyOfRange(s, axis, s.length)), in.array(1),
                        in.has(2) ? in.array(2) : null, n.attr("epsilon", 1e-5f)).singletonOrThrow());
            }
            case "MaxPool", "AveragePool" -> one(pool(n, x));
            case "GlobalAveragePool" -> one(mean(x, range(2, x.getShape().dimension()), true));
            case "ReduceMean", "ReduceSum" -> {
                long[] axes = in.has(1) ? in.longs(1) : n.attr("axes", (long[]) null);
                int rank = x.getShape().dimension();
                int[] ax = axes == null || axes.length == 0 ? range(0, rank) : Arrays.stream(axes).mapToInt(a -> (int) norm(a, rank)).toArray();
                boolean keep = n.attr("keepdims", 1L) != 0;
                yield one(n.opType().equals("ReduceMean") ? mean(x, ax, keep) : x.sum(ax, keep));
            }
            case "Concat" -> {
                if (n.inputs().size() == 1) {
                    // DJL copies a lone array outside autograd's view: a one-part concat is the part.
                    yield one(x);
                }
                NDList parts = new NDList();
                for (int i = 0; i < n.inputs().size(); i++) {
                    parts.add(in.array(i));
                }
                yield one(NDArrays.concat(parts, (int) norm(n.attr("axis", 0L), x.getShape().dimension())));
            }
            case "Split" -> split(n, in, x);
            case "Slice" -> one(slice(in, x));
            case "Gather" -> one(gather(n, in, x));
            case "Expand" -> {
                yield one(x.broadcast(new Shape(Geometry.broadcast(x.getShape().getShape(), in.longs(1)))));
            }
            case "Pad" -> {
                if (!n.attr("mode", "constant").equals("constant")) {
                    throw FiltervisException.failure("Pad node '" + n.describe() + "' uses mode " + n.attr("mode", "") + "; backend djl supports constant padding");
                }
                yield one(pad(x, in.longs(1), in.scalar(2, 0)));
            }
            case "Flatten" -> {
                long[] s = x.getShape().getShape();
                int axis = (int) norm(n.attr("axis", 1L), s.length);
                long outer = Tensor.elements(Arrays.copyOfRange(s, 0, axis));
                yield one(x.reshape(outer, Tensor.elements(s) / Math.max(outer, 1)));
            }
            case "Reshape" -> one(x.reshape(new Shape(ConstantFolder.reshapeTarget(x.getShape().getShape(), in.longs(1), n.attr("allowzero", 0L) != 0))));
            case "Squeeze" -> {
                long[] axes = in.has(1) ? in.longs(1) : n.attr("axes", (long[]) null);
                int rank = x.getShape().dimension();
                yield one(axes == null ? x.squeeze() : x.squeeze(Arrays.stream(axes).mapToInt(a -> (int) norm(a, rank)).toArray()));
            }
            case "Unsqueeze" -> {
                long[] axes = in.has(1) ? in.longs(1) : n.attr("axes", (long[]) null);
                int rank = x.getShape().dimension() + axes.length;
                NDArray y = x;
                for (long a : Arrays.stream(axes).map(a -> norm(a, rank)).sorted().toArray()) {
                    y = y.expandDims((int) a);
                }
                yield one(y);
            }
            case "Transpose" -> {
                int rank = x.getShape().dimension();
                long[] perm = n.attr("perm", (long[]) null);
                yield one(perm == null ? x.transpose(reversed(rank)) : x.transpose(Arrays.stream(perm).mapToInt(p -> (int) p).toArray()));
            }
            case "ConstantOfShape" -> {
                var value = n.attributes().get("value");
                float v = value == null ? 0 : value.asTensor().floats()[0];
                yield one(in.scope.full(new Shape(in.longs(0)), v));
            }
            default -> throw new IllegalStateException("no lowering for " + n.opType());
        };
    }

    private static NDArray gemm(Node n, Inputs in, NDArray a) {
        NDArray b = in.array(1);
        if (n.attr("transA", 0L) != 0) {
            a = a.transpose();
        }
        if (n.attr("transB", 0L) != 0) {
            b = b.transpose();
        }
        NDArray y = a.matMul(b);
        float alpha = n.attr("alpha", 1f);
        if (alpha != 1f) {
            y = y.mul(in.constant(alpha));
        }
        if (in.has(2)) {
            float beta = n.attr("beta", 1f);
            NDArray c = in.array(2);
            y = y.add(beta == 1f ? c : c.mul(in.constant(beta)));
        }
        return y;
    }

    private static NDArray conv(Node n, Inputs in, NDArray x) {
        NDArray w = in.array(1);
        long[] ws = w.getShape().getShape();
        if (ws.length != 4) {
            throw FiltervisException.failure("Conv node '" + n.describe() + "' is not 2-D; backend djl lowers 2-D convolutions only");
        }
        long[] kernel = {ws[2], ws[3]};
        long[] stride = n.attr("strides", new long[] {1, 1});
        long[] dilation = n.attr("dilations", new long[] {1, 1});
        long[] spatial = Arrays.copyOfRange(x.getShape().getShape(), 2, 4);
        long[][] p = Geometry.pads(n, spatial, kernel, stride, dilation);
        Shape padding = new Shape(p[0][0], p[0][1]);
        if (p[0][0] != p[1][0] || p[0][1] != p[1][1]) {
            // PyTorch pads symmetrically: pad the input itself where ONNX pads differ.
            x = pad(x, new long[] {0, 0, p[0][0], p[0][1], 0, 0, p[1][0], p[1][1]}, 0);
            padding = new Shape(0, 0);
        }
        return Conv2d.conv2d(x, w, in.has(2) ? in.array(2) : null, new Shape(stride), padding, new Shape(dilation),
                (int) n.attr("group", 1L)).singletonOrThrow();
    }

    private static NDArray pool(Node n, NDArray x) {
        if (x.getShape().dimension() != 4) {
            throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' is not 2-D; backend djl lowers 2-D pooling only");
        }
        long[] kernel = n.attr("kernel_shape", new long[0]);
        long[] stride = n.attr("strides", new long[] {1, 1});
        long[] dilation = n.attr("dilations", new long[] {1, 1});
        if (dilation[0] != 1 || dilation[1] != 1) {
            throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' is dilated; backend djl lowers undilated pooling only");
        }
        long[][] p = Geometry.pads(n, Arrays.copyOfRange(x.getShape().getShape(), 2, 4), kernel, stride, dilation);
        boolean ceil = n.attr("ceil_mode", 0L) != 0;
        boolean symmetric = p[0][0] == p[1][0] && p[0][1] == p[1][1];
        boolean max = n.opType().equals("MaxPool");
        Shape padding = new Shape(p[0][0], p[0][1]);
        if (!symmetric) {
            x = pad(x, new long[] {0, 0, p[0][0], p[0][1], 0, 0, p[1][0], p[1][1]}, max ? Float.NEGATIVE_INFINITY : 0);
            padding = new Shape(0, 0);
        }
        if (max) {
            return Pool.maxPool2d(x, new Shape(kernel), new Shape(stride), padding, ceil);
        }
        NDArray sums = Pool.avgPool2d(x, new Shape(kernel), new Shape(stride), padding, ceil, true);
        if (n.attr("count_include_pad", 0L) != 0 || (p[0][0] == 0 && p[0][1] == 0 && p[1][0] == 0 && p[1][1] == 0)) {
            return sums;
        }
        // Padded cells left out of the average: divide by the share of real cells in each window
        // (the same pooling of a ones image), which also covers asymmetric pads.
        long[] s = x.getShape().getShape();
        NDArray ones = x.getManager().ones(new Shape(1, 1, s[2], s[3]));
        if (!symmetric) {
            ones = pad(x.getManager().ones(new Shape(1, 1, s[2] - p[0][0] - p[1][0], s[3] - p[0][1] - p[1][1])),
                    new long[] {0, 0, p[0][0], p[0][1], 0, 0, p[1][0], p[1][1]}, 0);
        }
        return sums.div(Pool.avgPool2d(ones, new Shape(kernel), new Shape(stride), padding, ceil, true));
    }

    /** ONNX pads [b0..bn-1, e0..en-1] as PyTorch's F.pad, which lists pairs from the last axis. */
    static NDArray pad(NDArray x, long[] pads, float value) {
        int rank = x.getShape().dimension();
        long[] torch = new long[2 * rank];
        boolean any = false;
        for (int i = 0; i < rank; i++) {
            int axis = rank - 1 - i;
            torch[2 * i] = pads[axis];
            torch[2 * i + 1] = pads[rank + axis];
            any |= pads[axis] != 0 || pads[rank + axis] != 0;
            if (pads[axis] < 0 || pads[rank + axis] < 0) {
                throw FiltervisException.failure("negative pads (cropping) are not supported by backend djl");
            }
        }
        return any ? x.pad(new Shape(torch), value) : x;
    }

    private static List<NDArray> split(Node n, Inputs in, NDArray x) {
        long[] s = x.getShape().getShape();
        int axis = (int) norm(n.attr("axis", 0L), s.length);
        long[] sizes = in.has(1) ? in.longs(1) : n.attr("split", (long[]) null);
        int parts = n.outputs().size();
        if (sizes == null) {
            sizes = new long[parts];
            Arrays.fill(sizes, s[axis] / parts);
        }
        long[] cuts = new long[sizes.length - 1];
        long acc = 0;
        for (int i = 0; i < cuts.length; i++) {
            acc += sizes[i];
            cuts[i] = acc;
        }
        return new ArrayList<>(x.split(cuts, axis));
    }

    private static NDArray slice(Inputs in, NDArray x) {
        long[] s = x.getShape().getShape();
        long[] starts = in.longs(1);
        long[] ends = in.longs(2);
        long[] axes = in.has(3) ? in.longs(3) : null;
        long[] steps = in.has(4) ? in.longs(4) : null;
        String[] spec = new String[s.length];
        Arrays.fill(spec, ":");
        for (int k = 0; k < starts.length; k++) {
            int a = (int) (axes == null ? k : norm(axes[k], s.length));
            long step = steps == null ? 1 : steps[k];
            if (step <= 0) {
                throw FiltervisException.failure("Slice with step " + step + " is not supported by backend djl");
            }
            long d = s[a];
            long b = Math.max(0, Math.min(d, starts[k] < 0 ? starts[k] + d : starts[k]));
            long e = Math.max(b, Math.min(d, ends[k] < 0 ? ends[k] + d : ends[k]));
            spec[a] = b + ":" + e + (step == 1 ? "" : ":" + step);
        }
        return x.get(new NDIndex(String.join(",", spec)));
    }

    /** ONNX Gather along an axis with constant indices: slices put together. */
    private static NDArray gather(Node n, Inputs in, NDArray x) {
        long[] s = x.getShape().getShape();
        int axis = (int) norm(n.attr("axis", 0L), s.length);
        Tensor indexTensor = in.constants.get(n.input(1));
        if (indexTensor == null) {
            throw FiltervisException.failure("Gather node '" + n.describe() + "' has computed indices; backend djl needs them constant");
        }
        long[] idx = indexTensor.longs();
        NDList parts = new NDList();
        for (long i : idx) {
            long j = i < 0 ? i + s[axis] : i;
            String[] spec = new String[s.length];
            Arrays.fill(spec, ":");
            spec[axis] = j + ":" + (j + 1);
            parts.add(x.get(new NDIndex(String.join(",", spec))));
        }
        NDArray joined = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, axis);
        long[] ishape = indexTensor.shape();
        long[] out = new long[s.length - 1 + ishape.length];
        System.arraycopy(s, 0, out, 0, axis);
        System.arraycopy(ishape, 0, out, axis, ishape.length);
        System.arraycopy(s, axis + 1, out, axis + ishape.length, s.length - axis - 1);
        return joined.reshape(new Shape(out));
    }

    /** Mean over several axes (PyTorch's NDArray.mean takes one at a time). */
    private static NDArray mean(NDArray x, int[] axes, boolean keep) {
        int[] sorted = Arrays.stream(axes).sorted().toArray();
        NDArray y = x;
        for (int i = sorted.length - 1; i >= 0; i--) {
            y = y.mean(new int[] {sorted[i]}, keep);
        }
        return y;
    }

    private static long norm(long axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        Arrays.setAll(r, i -> from + i);
        return r;
    }

    private static int[] reversed(int rank) {
        int[] r = new int[rank];
        Arrays.setAll(r, i -> rank - 1 - i);
        return r;
    }
}
