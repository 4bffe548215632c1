package org.filtervis.graph;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Checks an ONNX model read from an untrusted file before any backend sees it: the graph's
 * structure (every tensor defined once and before use, so no cycle and no dangling input), input
 * dims, and the attributes of windowed operators. Native runtimes are not robust to these: ONNX
 * Runtime 1.24 aborts the JVM on a Conv with {@code strides=[0,0]} or negative pads.
 */
public final class OnnxChecks {
    /** The newest default-domain operator set filtervis knows (ONNX Runtime 1.24 reads up to 23). */
    public static final long MAX_OPSET = 23;
    /** Bounds on window sizes, strides, dilations and pads: far beyond any real network. */
    static final long MAX_WINDOW = 4096;

    private OnnxChecks() {}

    /** What is wrong with a model, in one phrase. */
    public static final class Invalid extends RuntimeException {
        public Invalid(String message) {
            super(message);
        }
    }

    public static void validate(OnnxModel model) {
        long opset = model.opsets.getOrDefault("", 0L);
        if (opset < 1 || opset > MAX_OPSET) {
            throw new Invalid("it uses operator set " + opset + " of the default domain; filtervis reads 1 to " + MAX_OPSET);
        }
        Graph g = model.graph;
        Set<String> defined = new HashSet<>(g.initializers.keySet());
        for (ValueInfo in : g.inputs) {
            for (Object d : in.dims() == null ? java.util.List.of() : in.dims()) {
                if (d instanceof Long l && l < 0) {
                    throw new Invalid("input '" + in.name() + "' has dimension " + l + " " + in.dims());
                }
            }
            defined.add(in.name());
        }
        for (Node n : g.nodes) {
            for (String input : n.inputs()) {
                if (!input.isEmpty() && !defined.contains(input)) {
                    throw new Invalid("node '" + n.describe() + "' (" + n.opType() + ") reads '" + input
                            + "', which no input, initializer or earlier node defines (a cycle, or a dangling input)");
                }
            }
            for (String output : n.outputs()) {
                if (!output.isEmpty() && !defined.add(output)) {
                    throw new Invalid("tensor '" + output + "' is defined twice (again by node '" + n.describe() + "')");
                }
            }
            attributes(n, g);
        }
        for (ValueInfo out : g.outputs) {
            if (!defined.contains(out.name())) {
                throw new Invalid("graph output '" + out.name() + "' is not computed by any node");
            }
        }
    }

    /** Window attributes within bounds; a Conv's kernel_shape and group consistent with its weights. */
    private static void attributes(Node n, Graph g) {
        String op = n.opType();
        if (!Set.of("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool").contains(op)) {
            return;
        }
        check(n, "strides", 1, MAX_WINDOW);
        check(n, "dilations", 1, MAX_WINDOW);
        check(n, "kernel_shape", 1, MAX_WINDOW);
        check(n, "pads", 0, MAX_WINDOW);
        check(n, "output_padding", 0, MAX_WINDOW);
        // Padding wider than the (dilated) window only adds rows of pure padding: no network does
        // that, and it can make a framework allocate without bound.
        long[] window = n.attr("kernel_shape", (long[]) null);
        Tensor weights = op.startsWith("Conv") && n.inputs().size() > 1 ? g.initializers.get(n.input(1)) : null;
        if (window == null && weights != null && weights.shape().length > 2) {
            window = Arrays.copyOfRange(weights.shape(), 2, weights.shape().length);
        }
        long[] pads = n.attr("pads", (long[]) null);
        long[] dilations = n.attr("dilations", (long[]) null);
        if (window != null && pads != null && pads.length == 2 * window.length) {
            for (int i = 0; i < pads.length; i++) {
                int axis = i % window.length;
                long extent = (dilations != null && dilations.length == window.length ? dilations[axis] : 1) * (window[axis] - 1) + 1;
                if (pads[i] > extent) {
                    throw new Invalid(op + " node '" + n.describe() + "' has pads " + Arrays.toString(pads) + ", wider than its window "
                            + Arrays.toString(window));
                }
            }
        }
        if (op.startsWith("Conv")) {
            long group = n.attr("group", 1L);
            if (group < 1) {
                throw new Invalid(op + " node '" + n.describe() + "' has group " + group + "; it must be 1 or more");
            }
            Tensor w = n.inputs().size() > 1 ? g.initializers.get(n.input(1)) : null;
            long[] kernel = n.attr("kernel_shape", (long[]) null);
            if (w != null && kernel != null && (w.shape().length != kernel.length + 2
                    || !Arrays.equals(Arrays.copyOfRange(w.shape(), 2, w.shape().length), kernel))) {
                throw new Invalid(op + " node '" + n.describe() + "' has kernel_shape " + Arrays.toString(kernel) + " but weights of shape "
                        + Arrays.toString(w.shape()));
            }
            if (w != null && w.shape().length > 0 && op.equals("Conv") && w.shape()[0] % group != 0) {
                throw new Invalid("Conv node '" + n.describe() + "' has " + w.shape()[0] + " filters, not a multiple of its group " + group);
            }
        } else if (n.attr("kernel_shape", (long[]) null) == null) {
            throw new Invalid(op + " node '" + n.describe() + "' has no kernel_shape");
        }
    }

    private static void check(Node n, String attribute, long min, long max) {
        long[] v = n.attr(attribute, (long[]) null);
        if (v == null) {
            return;
        }
        for (long x : v) {
            if (x < min || x > max) {
                throw new Invalid(n.opType() + " node '" + n.describe() + "' has " + attribute + " " + Arrays.toString(v) + "; each must be "
                        + min + " to " + max);
            }
        }
    }
}
