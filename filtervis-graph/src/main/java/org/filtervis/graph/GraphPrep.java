package org.filtervis.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.filtervis.api.FiltervisException;

/**
 * Makes an imported model ready for gradient graphs: constants become initializers, the operator
 * set is raised to the one the backward graph needs (rewriting operators whose signature changed),
 * and a copy can be cut to given outputs for a fixed input size.
 */
public final class GraphPrep {
    /** ScatterElements with reduction=add (MaxPool gradients) needs opset 16; 17 adds LayerNormalization. */
    public static final long TARGET_OPSET = 17;
    static final long OLDEST_OPSET = 7;

    private GraphPrep() {}

    /** A prepared copy of {@code source}; the source is not changed. */
    public static OnnxModel prepare(OnnxModel source) {
        OnnxModel m = source.copy();
        foldConstantNodes(m.graph);
        upgradeOpset(m);
        return m;
    }

    /** The one image input: the graph input that is not an initializer. */
    public static ValueInfo imageInput(Graph g) {
        List<ValueInfo> data = g.dataInputs();
        if (data.size() != 1) {
            throw FiltervisException.failure("the model has " + data.size() + " inputs " + data.stream().map(ValueInfo::name).toList()
                    + "; filtervis needs a model with exactly one image input");
        }
        ValueInfo in = data.get(0);
        if (in.type() != DataType.FLOAT || in.rank() != 4) {
            throw FiltervisException.failure("the model's input '" + in.name() + "' is " + in.type() + " of rank " + in.rank()
                    + "; filtervis needs a float32 image input of rank 4 (NCHW or NHWC)");
        }
        return in;
    }

    /** The image input as the SPI describes it: layout, channels and (fixed or free) size. */
    public static org.filtervis.api.InputSpec inputSpec(ValueInfo image) {
        return inputSpec(image, channelsLast(image));
    }

    /**
     * As {@link #inputSpec(ValueInfo)}, judging the layout by the graph too: an input that goes
     * straight into a Transpose to NCHW (what TensorFlow and Keras exports do) is NHWC whatever its
     * channel count.
     */
    public static org.filtervis.api.InputSpec inputSpec(Graph g, ValueInfo image) {
        boolean transposed = g.nodes.stream().anyMatch(n -> n.opType().equals("Transpose") && n.inputs().size() == 1
                && n.input(0).equals(image.name()) && Arrays.equals(n.attr("perm", new long[0]), new long[] {0, 3, 1, 2}));
        return inputSpec(image, transposed || channelsLast(image));
    }

    private static org.filtervis.api.InputSpec inputSpec(ValueInfo image, boolean last) {
        return new org.filtervis.api.InputSpec(image.name(), last ? org.filtervis.api.InputSpec.Layout.NHWC : org.filtervis.api.InputSpec.Layout.NCHW,
                (int) image.dim(last ? 3 : 1), (int) image.dim(last ? 1 : 2), (int) image.dim(last ? 2 : 3));
    }

    /** Image dims [N, C, H, W] or [N, H, W, C] for a batch and size in the input's layout. */
    public static long[] imageDims(org.filtervis.api.InputSpec input, int batch, int height, int width) {
        return input.layout() == org.filtervis.api.InputSpec.Layout.NCHW
                ? new long[] {batch, input.channels(), height, width}
                : new long[] {batch, height, width, input.channels()};
    }

    /** Whether the image input is channels-last: ONNX models are NCHW unless the dims say otherwise. */
    public static boolean channelsLast(ValueInfo image) {
        long c1 = image.dim(1);
        long c3 = image.dim(3);
        return (c3 == 1 || c3 == 3 || c3 == 4) && !(c1 == 1 || c1 == 3 || c1 == 4);
    }

    /**
     * The tensor a user means by {@code layer}: a tensor name (node output or graph input), or a
     * node name standing for its first output; an unknown one is refused naming the closest.
     */
    public static String resolveLayer(Graph g, String layer) {
        Map<String, Node> producers = g.producers();
        if (producers.containsKey(layer)) {
            return layer;
        }
        Node named = g.nodeNamed(layer);
        if (named != null && !named.output(0).isEmpty()) {
            return named.output(0);
        }
        List<String> suggestions = new ArrayList<>(allNodeOutputs(g));
        throw FiltervisException.usage("unknown layer '" + layer + "'; closest: " + String.join(", ", Names.closest(layer, suggestions, 5))
                + " (filtervis layers --model ... lists them all)");
    }

    /**
     * The error for an image size the model cannot take: {@code cause} is the framework's message
     * (its first line is kept), and a model that fixes its size is told which {@code --size} to use.
     */
    public static FiltervisException wrongSize(org.filtervis.api.InputSpec input, int height, int width, String cause) {
        if (input.height() > 0 && input.height() == height && input.width() == width) {
            // At the model's own size the size is not the problem: the model itself fails to run.
            return FiltervisException.failure("the model fails to run at its own size " + height + "x" + width + " ("
                    + Operators.firstLine(cause) + "); it is broken or uses what this backend cannot run: try another --backend");
        }
        String need = input.height() > 0 ? "; this model needs --size " + input.height()
                : "; try another --size, or another --backend if the model itself is broken";
        return FiltervisException.usage("the model cannot take " + height + "x" + width + " images (" + Operators.firstLine(cause) + ")" + need);
    }

    /**
     * A copy whose image input has the given dims, cut to what {@code outputs} depend on, with
     * those tensors as its (untyped) outputs.
     */
    public static OnnxModel cut(OnnxModel prepared, long[] imageDims, Set<String> outputs) {
        OnnxModel m = prepared.copy();
        Graph g = m.graph;
        ValueInfo image = imageInput(g);
        g.inputs.replaceAll(v -> v == image ? ValueInfo.of(image.name(), DataType.FLOAT, imageDims) : v);
        g.pruneTo(outputs);
        g.outputs.clear();
        outputs.forEach(o -> g.outputs.add(ValueInfo.untyped(o)));
        return m;
    }

    /**
     * The nodes, in graph order, that compute {@code outputs} from tensor {@code from} given as it
     * is: the network run on from an intermediate tensor, without the image.
     *
     * @throws FiltervisException (usage) where an output also depends on the image by a path
     *     around {@code from}
     */
    public static List<Node> nodesFrom(Graph g, String from, Collection<String> outputs) {
        Map<String, Node> producers = g.producers();
        Set<String> images = new java.util.HashSet<>();
        g.dataInputs().forEach(v -> images.add(v.name()));
        Set<Node> needed = new java.util.HashSet<>();
        for (String output : outputs) {
            List<String> work = new ArrayList<>(List.of(output));
            Set<String> seen = new java.util.HashSet<>();
            while (!work.isEmpty()) {
                String t = work.remove(work.size() - 1);
                if (t.isEmpty() || t.equals(from) || !seen.add(t)) {
                    continue;
                }
                if (images.contains(t)) {
                    throw FiltervisException.usage("'" + output + "' depends on the image by a path around '" + from
                            + "' (a skip connection): pick a layer that every path to it passes through, such as a block's output");
                }
                Node n = producers.get(t);
                if (n != null && needed.add(n)) {
                    work.addAll(n.inputs());
                }
            }
        }
        List<Node> ordered = new ArrayList<>(g.nodes);
        ordered.retainAll(needed);
        return ordered;
    }

    /**
     * A copy that runs on from tensor {@code from} (an input of dims {@code fromDims}, the image
     * no longer one) to {@code outputs}; see {@link #nodesFrom}.
     */
    public static OnnxModel cutFrom(OnnxModel prepared, String from, long[] fromDims, Set<String> outputs) {
        OnnxModel m = prepared.copy();
        Graph g = m.graph;
        List<Node> keep = nodesFrom(g, from, outputs);
        g.nodes.retainAll(keep);
        Set<String> used = new java.util.HashSet<>(outputs);
        g.nodes.forEach(n -> used.addAll(n.inputs()));
        g.initializers.keySet().retainAll(used);
        g.inputs.clear();
        g.inputs.add(ValueInfo.of(from, DataType.FLOAT, fromDims));
        g.outputs.clear();
        outputs.forEach(o -> g.outputs.add(ValueInfo.untyped(o)));
        return m;
    }

    /**
     * Folds inference BatchNormalization into the Conv before it (new weights and bias), where
     * the Conv's output feeds only the BatchNormalization and is not one of {@code keep}: one
     * operator less forward and backward.
     *
     * @return how many were folded
     */
    public static int foldBatchNorm(Graph g, Set<String> keep) {
        Map<String, Node> producers = g.producers();
        Map<String, Integer> uses = new java.util.HashMap<>();
        g.nodes.forEach(n -> n.inputs().forEach(i -> uses.merge(i, 1, Integer::sum)));
        g.outputs.forEach(o -> uses.merge(o.name(), 1, Integer::sum));
        int folded = 0;
        for (java.util.Iterator<Node> it = g.nodes.iterator(); it.hasNext(); ) {
            Node bn = it.next();
            Node conv = producers.get(bn.input(0));
            if (!bn.opType().equals("BatchNormalization") || bn.attr("training_mode", 0L) != 0 || bn.outputs().size() > 1
                    || conv == null || !conv.opType().equals("Conv") || keep.contains(bn.input(0)) || uses.get(bn.input(0)) != 1) {
                continue;
            }
            Tensor w = g.initializers.get(conv.input(1));
            Tensor bias = conv.input(2).isEmpty() ? null : g.initializers.get(conv.input(2));
            Tensor[] stats = new Tensor[4];
            for (int i = 0; i < 4; i++) {
                stats[i] = g.initializers.get(bn.input(i + 1));
            }
            if (w == null || w.type() != DataType.FLOAT || (!conv.input(2).isEmpty() && bias == null) || Arrays.asList(stats).contains(null)) {
                continue;
            }
            float[] scale = stats[0].floats();
            float[] beta = stats[1].floats();
            float[] mean = stats[2].floats();
            float[] var = stats[3].floats();
            double eps = bn.attr("epsilon", 1e-5f);
            float[] weights = w.floats();
            float[] b = bias == null ? new float[scale.length] : bias.floats();
            int per = weights.length / scale.length;
            float[] newB = new float[scale.length];
            for (int c = 0; c < scale.length; c++) {
                double k = scale[c] / Math.sqrt(var[c] + eps);
                for (int i = 0; i < per; i++) {
                    weights[c * per + i] = (float) (weights[c * per + i] * k);
                }
                newB[c] = (float) ((b[c] - mean[c]) * k + beta[c]);
            }
            String name = bn.output(0);
            String x = conv.input(0);
            g.initializers.put(name + "/fv_folded_w", Tensor.ofFloats(w.shape(), weights));
            g.initializers.put(name + "/fv_folded_b", Tensor.ofFloats(new long[] {scale.length}, newB));
            conv.inputs().clear();
            conv.inputs().addAll(List.of(x, name + "/fv_folded_w", name + "/fv_folded_b"));
            conv.outputs().set(0, name);
            it.remove();
            folded++;
        }
        if (folded > 0) {
            Set<String> outputs = new LinkedHashSet<>();
            g.outputs.forEach(o -> outputs.add(o.name()));
            g.pruneTo(outputs);
        }
        return folded;
    }

    /** Every node output, in graph order: what a probe run lists to learn all shapes. */
    public static Set<String> allNodeOutputs(Graph g) {
        Set<String> all = new LinkedHashSet<>();
        g.nodes.forEach(n -> n.outputs().stream().filter(o -> !o.isEmpty()).forEach(all::add));
        return all;
    }

    static void foldConstantNodes(Graph g) {
        Set<String> graphOutputs = new LinkedHashSet<>();
        g.outputs.forEach(v -> graphOutputs.add(v.name()));
        g.nodes.removeIf(n -> {
            if (!n.opType().equals("Constant") || !n.domain().isEmpty() || graphOutputs.contains(n.output(0))) {
                return false;
            }
            Tensor value = constantValue(n);
            if (value == null) {
                return false;
            }
            g.initializers.put(n.output(0), value);
            return true;
        });
    }

    private static Tensor constantValue(Node n) {
        for (Attribute a : n.attributes().values()) {
            switch (a.name()) {
                case "value": return a.asTensor();
                case "value_float": return Tensor.scalar(a.asFloat());
                case "value_floats": { float[] f = a.asFloats(); return Tensor.ofFloats(new long[] {f.length}, f); }
                case "value_int": return Tensor.ofLongs(new long[0], a.asLong());
                case "value_ints": return Tensor.vector(a.asLongs());
                default: break;
            }
        }
        return null;
    }

    /** Raises the default-domain opset to {@link #TARGET_OPSET}, rewriting legacy operator forms. */
    static void upgradeOpset(OnnxModel m) {
        long from = m.opset();
        if (from >= TARGET_OPSET) {
            return;
        }
        if (from < OLDEST_OPSET) {
            throw FiltervisException.failure("the model uses ONNX opset " + from + "; filtervis reads opset " + OLDEST_OPSET
                    + " and newer: re-export it with a current exporter (torch.onnx.export(..., opset_version=17))");
        }
        Graph g = m.graph;
        List<Node> rewritten = new ArrayList<>();
        for (Node n : g.nodes) {
            if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
                rewritten.add(n);
                continue;
            }
            String op = n.opType();
            Map<String, Attribute> at = n.attributes();
            if (from < 11 && op.equals("Clip")) {
                List<String> ins = new ArrayList<>(List.of(n.input(0)));
                ins.add(at.containsKey("min") ? constant(g, n, "min", Tensor.scalar(at.get("min").asFloat())) : "");
                ins.add(at.containsKey("max") ? constant(g, n, "max", Tensor.scalar(at.get("max").asFloat())) : "");
                rewritten.add(rebuild(n, ins, at, "min", "max"));
            } else if (from < 11 && op.equals("Pad")) {
                List<String> ins = new ArrayList<>(List.of(n.input(0), constant(g, n, "pads", Tensor.vector(at.get("pads").asLongs()))));
                if (at.containsKey("value")) {
                    ins.add(constant(g, n, "value", Tensor.scalar(at.get("value").asFloat())));
                }
                rewritten.add(rebuild(n, ins, at, "pads", "value"));
            } else if (from < 12 && op.equals("Dropout")) {
                rewritten.add(rebuild(n, List.of(n.input(0)), at, "ratio", "is_test"));
            } else if (from < 13 && Set.of("Squeeze", "Unsqueeze", "ReduceSum").contains(op) && at.containsKey("axes")) {
                rewritten.add(rebuild(n, List.of(n.input(0), constant(g, n, "axes", Tensor.vector(at.get("axes").asLongs()))), at, "axes"));
            } else if (from < 13 && op.equals("Split") && at.containsKey("split")) {
                rewritten.add(rebuild(n, List.of(n.input(0), constant(g, n, "split", Tensor.vector(at.get("split").asLongs()))), at, "split"));
            } else if (from < 10 && op.equals("Slice")) {
                long[] starts = at.get("starts").asLongs();
                long[] ends = at.get("ends").asLongs();
                long[] axes = at.containsKey("axes") ? at.get("axes").asLongs() : range(starts.length);
                rewritten.add(rebuild(n, List.of(n.input(0), constant(g, n, "starts", Tensor.vector(starts)),
                        constant(g, n, "ends", Tensor.vector(ends)), constant(g, n, "axes", Tensor.vector(axes))), at, "starts", "ends", "axes"));
            } else if (from < 9 && op.equals("BatchNormalization")) {
                rewritten.add(rebuild(n, n.inputs(), at, "spatial", "is_test", "consumed_inputs"));
            } else if (from < 13 && Set.of("Softmax", "LogSoftmax").contains(op)) {
                throw FiltervisException.failure(op + " node " + n.describe() + " uses opset " + from
                        + " semantics, which filtervis does not convert; re-export the model with opset 13 or newer");
            } else if (op.equals("Upsample")) {
                throw FiltervisException.failure("Upsample node " + n.describe() + " is deprecated and not supported; re-export the model with opset 11 or newer (Resize)");
            } else {
                rewritten.add(n);
            }
        }
        g.nodes.clear();
        g.nodes.addAll(rewritten);
        m.opsets.remove("ai.onnx");
        m.opsets.put("", TARGET_OPSET);
        m.irVersion = Math.max(m.irVersion, 8);
    }

    private static long[] range(int n) {
        long[] r = new long[n];
        Arrays.setAll(r, i -> i);
        return r;
    }

    private static String constant(Graph g, Node n, String what, Tensor value) {
        String name = "fv/upgrade/" + n.output(0) + "/" + what;
        g.initializers.put(name, value);
        return name;
    }

    private static Node rebuild(Node n, List<String> inputs, Map<String, Attribute> attrs, String... drop) {
        Map<String, Attribute> kept = new LinkedHashMap<>(attrs);
        for (String d : drop) {
            kept.remove(d);
        }
        return new Node(n.opType(), n.name(), n.domain(), inputs, n.outputs(), kept);
    }
}
