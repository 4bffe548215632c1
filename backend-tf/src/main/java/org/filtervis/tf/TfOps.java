package org.filtervis.tf;

import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** Raw TensorFlow operations added to a graph by type name (some ops, e.g. AddV2, are missing from {@code Ops}). */
final class TfOps {
    final Graph graph;
    private int counter;

    TfOps(Graph graph) {
        this.graph = graph;
    }

    /** Adds one op named after {@code hint} (made unique), with inputs and attributes; returns output 0. */
    Output<?> op(String type, String hint, Consumer<GraphOperationBuilder> attrs, Output<?>... inputs) {
        return build(type, hint, attrs, inputs).output(0);
    }

    Output<?> op(String type, String hint, Output<?>... inputs) {
        return op(type, hint, b -> {}, inputs);
    }

    org.tensorflow.GraphOperation build(String type, String hint, Consumer<GraphOperationBuilder> attrs, Output<?>... inputs) {
        GraphOperationBuilder b = graph.opBuilder(type, uniqueName(hint), graph.baseScope());
        for (Output<?> in : inputs) {
            b.addInput(in);
        }
        attrs.accept(b);
        return b.build();
    }

    String uniqueName(String hint) {
        String clean = hint.replaceAll("[^A-Za-z0-9_./-]", "_").replaceAll("^[^A-Za-z0-9.]+", "");
        String base = clean.isEmpty() ? "op" : clean;
        String name;
        do {
            // The graph may hold imported ops already (a SavedModel's): skip names they use.
            name = base + "_" + counter++;
        } while (graph.operation(name) != null);
        return name;
    }

    Output<?> floats(String hint, long[] shape, float[] values) {
        try (TFloat32 t = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false))) {
            return op("Const", hint, b -> b.setAttr("value", t).setAttr("dtype", DataType.DT_FLOAT));
        }
    }

    Output<?> scalar(float v) {
        return floats("scalar", new long[0], new float[] {v});
    }

    Output<?> ints(int... values) {
        try (TInt32 t = TInt32.tensorOf(Shape.of(values.length), DataBuffers.of(values, true, false))) {
            return op("Const", "ints", b -> b.setAttr("value", t).setAttr("dtype", DataType.DT_INT32));
        }
    }

    /** A scalar int32 (axes, depths). */
    Output<?> axis(int value) {
        try (TInt32 t = TInt32.scalarOf(value)) {
            return op("Const", "axis", b -> b.setAttr("value", t).setAttr("dtype", DataType.DT_INT32));
        }
    }

    Output<?> ints(long... values) {
        int[] v = new int[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.toIntExact(values[i]);
        }
        return ints(v);
    }

    Output<?> int64s(long[] shape, long[] values) {
        try (TInt64 t = TInt64.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false))) {
            return op("Const", "int64s", b -> b.setAttr("value", t).setAttr("dtype", DataType.DT_INT64));
        }
    }

    Output<?> placeholder(String name, DataType type, long... shape) {
        return graph.opBuilder("Placeholder", name, graph.baseScope()).setAttr("dtype", type).setAttr("shape", Shape.of(shape)).build().output(0);
    }

    Output<?> transpose(Output<?> x, int... perm) {
        return op("Transpose", "transpose", x, ints(perm));
    }

    Output<?> reshape(Output<?> x, long... shape) {
        return op("Reshape", "reshape", x, ints(shape));
    }

    Output<?> sum(Output<?> x, boolean keep, int... axes) {
        return op("Sum", "sum", b -> b.setAttr("keep_dims", keep), x, ints(axes));
    }

    Output<?> mean(Output<?> x, boolean keep, int... axes) {
        return op("Mean", "mean", b -> b.setAttr("keep_dims", keep), x, ints(axes));
    }

    static long[] shape(Output<?> o) {
        return o.shape().asArray();
    }

    /** Builds something on a new graph, closing the graph if building fails. */
    static <T> T inNewGraph(java.util.function.Function<org.tensorflow.Graph, T> build) {
        org.tensorflow.Graph graph = new org.tensorflow.Graph();
        try {
            return build.apply(graph);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /**
     * d loss / d each of {@code wrt} by TensorFlow's symbolic gradients (null where loss does not
     * depend on it); an op without a gradient is named in one line, with what to do instead.
     */
    static Output<?>[] gradients(org.tensorflow.Graph graph, Output<?> loss, Output<?>... wrt) {
        try {
            return graph.addGradients(loss, wrt);
        } catch (RuntimeException e) {
            String message = TfGraphModel.firstLine(e.getMessage());
            java.util.regex.Matcher op = java.util.regex.Pattern.compile("No gradient defined for op: (\\w+)").matcher(message);
            if (op.find()) {
                throw org.filtervis.api.FiltervisException.failure("TensorFlow has no gradient for op " + op.group(1)
                        + " between the image and the layer; pick an earlier layer, or convert the model to ONNX and use --backend onnx");
            }
            throw org.filtervis.api.FiltervisException.failure("TensorFlow cannot differentiate this graph (" + message
                    + "); pick an earlier layer, or use --backend onnx");
        }
    }
}
