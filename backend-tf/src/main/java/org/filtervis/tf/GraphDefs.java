package org.filtervis.tf;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.filtervis.api.FiltervisException;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Rewrites of TensorFlow GraphDefs that make them differentiable and fast:
 * <ul>
 *   <li>{@link #inlineCalls}: function calls (the {@code StatefulPartitionedCall} wrapping that Keras
 *       SavedModels use, nested) replaced by the function bodies as plain ops, so inner layers
 *       have names and TensorFlow's graph gradients reach them;</li>
 *   <li>{@link #freezeVariables}: {@code ReadVariableOp} of a variable replaced by a Const of its value;</li>
 *   <li>{@link #foldBatchNorm}: inference FusedBatchNorm (whose gradient costs 3-4x) replaced by a
 *       Mul and an Add with constants computed here, the Mul folded into a Conv2D's constant filter where
 *       the convolution feeds nothing else.</li>
 * </ul>
 */
final class GraphDefs {
    private GraphDefs() {}

    private static final Set<String> CALLS = Set.of("PartitionedCall", "StatefulPartitionedCall");

    /** Inlines every function call (nested ones too); names of inlined nodes are kept where free. */
    static GraphDef inlineCalls(GraphDef graph) {
        Map<String, FunctionDef> library = new HashMap<>();
        graph.getLibrary().getFunctionList().forEach(f -> library.put(f.getSignature().getName(), f));
        Map<String, OpDef> ops = new HashMap<>();
        List<NodeDef> nodes = new ArrayList<>(graph.getNodeList());
        for (int round = 0; round < 64; round++) {
            int call = -1;
            for (int i = 0; i < nodes.size() && call < 0; i++) {
                if (functionOf(nodes.get(i), library) != null) {
                    call = i;
                }
            }
            if (call < 0) {
                return graph.toBuilder().clearNode().addAllNode(nodes).build();
            }
            nodes = inline(nodes, call, library, ops);
        }
        throw FiltervisException.failure("the graph nests function calls more than 64 deep; cannot inline it");
    }

    private static FunctionDef functionOf(NodeDef n, Map<String, FunctionDef> library) {
        if (CALLS.contains(n.getOp())) {
            return library.get(n.getAttrOrThrow("f").getFunc().getName());
        }
        return library.get(n.getOp());
    }

    private static List<NodeDef> inline(List<NodeDef> nodes, int index, Map<String, FunctionDef> library, Map<String, OpDef> ops) {
        NodeDef call = nodes.get(index);
        FunctionDef f = functionOf(call, library);
        Set<String> taken = new HashSet<>();
        nodes.forEach(n -> taken.add(n.getName()));
        // Body node names: their own where free, else under the call's name.
        Map<String, String> names = new HashMap<>();
        for (NodeDef b : f.getNodeDefList()) {
            String name = taken.contains(b.getName()) ? call.getName() + "/" + b.getName() : b.getName();
            taken.add(name);
            names.put(b.getName(), name);
        }
        Map<String, String> args = new HashMap<>();
        List<String> dataInputs = call.getInputList().stream().filter(s -> !s.startsWith("^")).toList();
        for (int i = 0; i < f.getSignature().getInputArgCount(); i++) {
            args.put(f.getSignature().getInputArg(i).getName(), dataInputs.get(i));
        }
        Map<String, NodeDef> body = new HashMap<>();
        f.getNodeDefList().forEach(b -> body.put(b.getName(), b));
        Function<String, String> resolve = ref -> {
            if (ref.startsWith("^")) {
                String target = ref.substring(1);
                return names.containsKey(target) ? "^" + names.get(target) : null;
            }
            String[] parts = ref.split(":");
            if (parts.length == 1) {
                return args.get(ref);
            }
            NodeDef producer = body.get(parts[0]);
            int flat = outputIndex(producer, parts[1], Integer.parseInt(parts[2]), library, ops);
            String name = names.get(parts[0]);
            return flat == 0 ? name : name + ":" + flat;
        };
        List<NodeDef> inlined = new ArrayList<>();
        for (NodeDef b : f.getNodeDefList()) {
            NodeDef.Builder nb = b.toBuilder().setName(names.get(b.getName())).clearInput().clearDevice();
            for (String in : b.getInputList()) {
                String r = resolve.apply(in);
                if (r != null) {
                    nb.addInput(r);
                }
            }
            inlined.add(nb.build());
        }
        // The call's outputs, in order: the function's returned tensors.
        List<String> returns = new ArrayList<>();
        for (var arg : f.getSignature().getOutputArgList()) {
            returns.add(resolve.apply(f.getRetOrThrow(arg.getName())));
        }
        List<NodeDef> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (i == index) {
                out.addAll(inlined);
                continue;
            }
            NodeDef n = nodes.get(i);
            NodeDef.Builder nb = n.toBuilder().clearInput();
            for (String in : n.getInputList()) {
                nb.addInput(rename(in, call.getName(), returns));
            }
            out.add(nb.build());
        }
        return out;
    }

    /** A reference to the call's output k becomes the function's k-th returned tensor. */
    private static String rename(String in, String call, List<String> returns) {
        if (in.equals("^" + call)) {
            return returns.isEmpty() ? in : "^" + nodeName(returns.get(0));
        }
        if (in.equals(call)) {
            return returns.get(0);
        }
        if (in.startsWith(call + ":")) {
            return returns.get(Integer.parseInt(in.substring(call.length() + 1)));
        }
        return in;
    }

    static String nodeName(String ref) {
        String s = ref.startsWith("^") ? ref.substring(1) : ref;
        int colon = s.indexOf(':');
        return colon < 0 ? s : s.substring(0, colon);
    }

    /** The flat output index of {@code node:arg:index} in a function body (output args may be lists). */
    private static int outputIndex(NodeDef node, String arg, int index, Map<String, FunctionDef> library, Map<String, OpDef> ops) {
        FunctionDef f = functionOf(node, library);
        if (f != null && !CALLS.contains(node.getOp())) {
            // A direct call: one tensor per output arg.
            List<String> outs = f.getSignature().getOutputArgList().stream().map(OpDef.ArgDef::getName).toList();
            return outs.indexOf(arg) + index;
        }
        OpDef op = ops.computeIfAbsent(node.getOp(), GraphDefs::registeredOp);
        int flat = 0;
        for (OpDef.ArgDef a : op.getOutputArgList()) {
            if (a.getName().equals(arg)) {
                return flat + index;
            }
            if (!a.getNumberAttr().isEmpty()) {
                flat += (int) node.getAttrOrThrow(a.getNumberAttr()).getI();
            } else if (!a.getTypeListAttr().isEmpty()) {
                flat += node.getAttrOrThrow(a.getTypeListAttr()).getList().getTypeCount();
            } else {
                flat++;
            }
        }
        throw FiltervisException.failure("op " + node.getOp() + " has no output '" + arg + "' (node " + node.getName() + ")");
    }

    private static Map<String, OpDef> registered;

    private static synchronized OpDef registeredOp(String name) {
        if (registered == null) {
            registered = new HashMap<>();
            TensorFlow.registeredOpList().getOpList().forEach(o -> registered.put(o.getName(), o));
        }
        OpDef op = registered.get(name);
        if (op == null) {
            throw FiltervisException.failure("the graph uses op " + name + ", which this TensorFlow (" + TensorFlow.version() + ") does not know");
        }
        return op;
    }

    /**
     * Replaces each ReadVariableOp whose resource comes (through Identity) from a VarHandleOp by a
     * Const holding {@code values.apply(varHandleName)} (null: left as it is); nodes left without use
     * are kept (unused ops never run).
     */
    static GraphDef freezeVariables(GraphDef graph, Function<String, TensorProto> values) {
        Map<String, NodeDef> byName = new HashMap<>();
        graph.getNodeList().forEach(n -> byName.put(n.getName(), n));
        GraphDef.Builder out = graph.toBuilder().clearNode();
        for (NodeDef n : graph.getNodeList()) {
            if (n.getOp().equals("ReadVariableOp")) {
                NodeDef src = byName.get(nodeName(n.getInput(0)));
                while (src != null && src.getOp().equals("Identity")) {
                    src = byName.get(nodeName(src.getInput(0)));
                }
                TensorProto value = src != null && src.getOp().equals("VarHandleOp") ? values.apply(src.getName()) : null;
                if (value != null) {
                    out.addNode(NodeDef.newBuilder().setName(n.getName()).setOp("Const")
                            .putAttr("dtype", AttrValue.newBuilder().setType(value.getDtype()).build())
                            .putAttr("value", AttrValue.newBuilder().setTensor(value).build()).build());
                    continue;
                }
            }
            out.addNode(n);
        }
        return out.build();
    }

    static TensorProto floatTensor(long[] shape, float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : shape) {
            s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
        }
        return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(s).setTensorContent(ByteString.copyFrom(bytes.array())).build();
    }

    /** The floats of a float Const node, or null when the node is not one. */
    static float[] constFloats(NodeDef n) {
        if (n == null || !n.getOp().equals("Const") || n.getAttrOrThrow("dtype").getType() != DataType.DT_FLOAT) {
            return null;
        }
        TensorProto t = n.getAttrOrThrow("value").getTensor();
        long count = 1;
        for (var d : t.getTensorShape().getDimList()) {
            count *= d.getSize();
        }
        float[] v = new float[(int) count];
        if (!t.getTensorContent().isEmpty()) {
            t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        } else if (t.getFloatValCount() > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] = t.getFloatVal(Math.min(i, t.getFloatValCount() - 1));
            }
        }
        return v;
    }

    static long[] constShape(NodeDef n) {
        return n.getAttrOrThrow("value").getTensor().getTensorShape().getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
    }

    private static NodeDef constNode(String name, long[] shape, float[] values) {
        return NodeDef.newBuilder().setName(name).setOp("Const").putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
                .putAttr("value", AttrValue.newBuilder().setTensor(floatTensor(shape, values)).build()).build();
    }

    /**
     * Inference FusedBatchNorm (v1, V2, V3) with constant parameters becomes {@code x * k + shift}
     * under the batch norm's own name (so its consumers and its layer name stay); when x is a
     * Conv2D or DepthwiseConv2dNative with a constant filter used by nothing else, k goes into the filter.
     *
     * @return the rewritten graph and how many were folded
     */
    static GraphDef foldBatchNorm(GraphDef graph, int[] folded) {
        Map<String, NodeDef> byName = new HashMap<>();
        Map<String, Integer> uses = new HashMap<>();
        for (NodeDef n : graph.getNodeList()) {
            byName.put(n.getName(), n);
            n.getInputList().forEach(i -> uses.merge(nodeName(i), 1, Integer::sum));
        }
        Map<String, NodeDef> replaced = new HashMap<>();
        List<NodeDef> added = new ArrayList<>();
        for (NodeDef bn : graph.getNodeList()) {
            if (!bn.getOp().startsWith("FusedBatchNorm") || bn.getAttrOrDefault("is_training", AttrValue.newBuilder().setB(true).build()).getB()) {
                continue;
            }
            float[][] p = new float[4][];
            for (int i = 0; i < 4; i++) {
                p[i] = constFloats(byName.get(nodeName(bn.getInput(i + 1))));
            }
            if (p[0] == null || p[1] == null || p[2] == null || p[3] == null) {
                continue;
            }
            boolean nchw = bn.getAttrOrDefault("data_format", AttrValue.newBuilder().setS(ByteString.copyFromUtf8("NHWC")).build())
                    .getS().toStringUtf8().equals("NCHW");
            double eps = bn.getAttrOrDefault("epsilon", AttrValue.newBuilder().setF(1e-3f).build()).getF();
            int c = p[0].length;
            float[] k = new float[c];
            float[] shift = new float[c];
            for (int i = 0; i < c; i++) {
                k[i] = (float) (p[0][i] / Math.sqrt(p[3][i] + eps));
                shift[i] = (float) (p[1][i] - p[2][i] * k[i]);
            }
            long[] bshape = nchw ? new long[] {c, 1, 1} : new long[] {c};
            String x = bn.getInput(0);
            NodeDef conv = byName.get(nodeName(x));
            NodeDef filter = conv == null || conv.getInputCount() < 2 ? null : byName.get(nodeName(conv.getInput(1)));
            float[] w = constFloats(filter);
            boolean intoConv = !nchw && w != null && (conv.getOp().equals("Conv2D") || conv.getOp().equals("DepthwiseConv2dNative"))
                    && uses.getOrDefault(conv.getName(), 0) == 1 && uses.getOrDefault(filter.getName(), 0) == 1 && !replaced.containsKey(filter.getName());
            String scaled;
            if (intoConv) {
                // Filters are [kh, kw, in, out] (Conv2D) or [kh, kw, in, multiplier] (depthwise): output channel = flat index mod c.
                float[] nw = w.clone();
                for (int i = 0; i < nw.length; i++) {
                    nw[i] *= k[i % c];
                }
                replaced.put(filter.getName(), constNode(filter.getName(), constShape(filter), nw));
                scaled = x;
            } else {
                scaled = bn.getName() + "/fv_scale";
                added.add(NodeDef.newBuilder().setName(scaled).setOp("Mul").addInput(x).addInput(bn.getName() + "/fv_k")
                        .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build()).build());
                added.add(constNode(bn.getName() + "/fv_k", bshape, k));
            }
            added.add(constNode(bn.getName() + "/fv_shift", bshape, shift));
            replaced.put(bn.getName(), NodeDef.newBuilder().setName(bn.getName()).setOp("AddV2").addInput(scaled).addInput(bn.getName() + "/fv_shift")
                    .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build()).build());
            folded[0]++;
        }
        GraphDef.Builder out = graph.toBuilder().clearNode();
        for (NodeDef n : graph.getNodeList()) {
            out.addNode(replaced.getOrDefault(n.getName(), n));
        }
        added.forEach(out::addNode);
        return out.build();
    }
}
