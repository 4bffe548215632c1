package org.filtervis.graph.keras;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.DataType;
import org.filtervis.graph.Graph;
import org.filtervis.graph.Node;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.Tensor;
import org.filtervis.graph.ValueInfo;

/**
 * A Keras model (TF.js layers format) as an ONNX graph. The input keeps Keras's NHWC layout (a
 * Transpose to NCHW follows it); every layer's output tensor is named after the Keras layer
 * ({@code mixed4}, {@code block_6_expand_relu}), so those are the names users pick; the helper nodes
 * the importer adds are named {@code layer#...} (no '/': Keras names are not scopes). Layers:
 * InputLayer, Conv2D, DepthwiseConv2D, BatchNormalization (scale and center optional), ReLU
 * (max_value, negative_slope), Activation, ZeroPadding2D, MaxPooling2D, AveragePooling2D,
 * GlobalAveragePooling2D, GlobalMaxPooling2D, Concatenate, Add, Multiply, Subtract, Flatten
 * (in Keras's NHWC order), Dense, Dropout.
 */
public final class KerasImporter {
    static final Set<String> LAYERS = new TreeSet<>(List.of("InputLayer", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU",
            "Activation", "ZeroPadding2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Concatenate",
            "Add", "Multiply", "Subtract", "Flatten", "Dense", "Dropout"));

    private final TfjsModel model;
    private final Graph graph;
    /** Rank of each tensor made so far (4: NCHW images, 2: [N, features]). */
    private final Map<String, Integer> ranks = new HashMap<>();
    /** The tensor holding each Keras layer's output. */
    private final Map<String, String> outputs = new HashMap<>();
    private int counter;

    private KerasImporter(TfjsModel model, String name) {
        this.model = model;
        this.graph = new Graph(name);
    }

    /** Imports a TF.js layers model as an ONNX model (opset 17). */
    public static OnnxModel toOnnx(TfjsModel model) {
        Map<String, Object> config = TfjsModel.asMap(model.modelConfig.get("config"), "model_config.config");
        String className = (String) model.modelConfig.get("class_name");
        String name = config.get("name") instanceof String s ? s : "keras_model";
        KerasImporter importer = new KerasImporter(model, name);
        List<Object> layers = TfjsModel.asList(config.get("layers"), "layers");
        boolean sequential = "Sequential".equals(className);
        String previous = null;
        for (Object l : layers) {
            Map<String, Object> layer = TfjsModel.asMap(l, "a layer");
            List<String> inputs = sequential ? (previous == null ? List.of() : List.of(previous)) : importer.inbound(layer);
            previous = importer.layer(layer, inputs, sequential && previous == null);
        }
        List<String> outs = new ArrayList<>();
        if (sequential) {
            outs.add(previous);
        } else {
            for (Object o : TfjsModel.asList(config.get("output_layers"), "output_layers")) {
                outs.add(importer.tensorOf((String) TfjsModel.asList(o, "an output layer").get(0)));
            }
        }
        outs.forEach(o -> importer.graph.outputs.add(ValueInfo.untyped(o)));
        OnnxModel m = new OnnxModel(importer.graph, 17);
        m.irVersion = 8;
        m.producerName = "filtervis keras importer";
        m.metadata.put("filtervis.source", "keras (tfjs layers), " + model.weights.size() + " weights");
        return m;
    }

    private String tensorOf(String layer) {
        String t = outputs.get(layer);
        if (t == null) {
            throw FiltervisException.failure("Keras model: layer '" + layer + "' is used before it is defined");
        }
        return t;
    }

    /** The input tensors of a functional-model layer, from its inbound nodes. */
    private List<String> inbound(Map<String, Object> layer) {
        List<Object> nodes = TfjsModel.asList(layer.getOrDefault("inbound_nodes", List.of()), "inbound_nodes");
        if (nodes.isEmpty()) {
            return List.of();
        }
        if (nodes.size() > 1) {
            throw FiltervisException.failure("Keras layer '" + layer.get("name") + "' is called " + nodes.size() + " times (a shared layer); not supported");
        }
        if (!(nodes.get(0) instanceof List<?> calls)) {
            throw FiltervisException.failure("Keras layer '" + layer.get("name") + "': inbound_nodes in a format this importer does not read (Keras 3?);"
                    + " save the model with Keras 2 / TF.js layers format");
        }
        List<String> ins = new ArrayList<>();
        for (Object c : calls) {
            ins.add(tensorOf((String) ((List<?>) c).get(0)));
        }
        return ins;
    }

    private String fresh(String base) {
        return base + "#" + (counter++);
    }

    private String node(String op, String name, List<String> inputs, String output, int rank, Attribute... attrs) {
        graph.nodes.add(Node.of(op, name, inputs, List.of(output), attrs));
        ranks.put(output, rank);
        return output;
    }

    private String weight(String name, long[] shape, float[] values) {
        graph.initializers.put(name, Tensor.ofFloats(shape, values));
        return name;
    }

    private TfjsModel.Weight param(String layer, String param, boolean required) {
        TfjsModel.Weight w = model.weights.get(layer + "/" + param);
        if (w == null && required) {
            throw FiltervisException.failure("Keras layer '" + layer + "' has no weight '" + layer + "/" + param + "' in the weights manifest");
        }
        return w;
    }

    private static long[] ints(Object o, int n) {
        if (o instanceof Number num) {
            long[] v = new long[n];
            java.util.Arrays.fill(v, num.longValue());
            return v;
        }
        return TfjsModel.asList(o, "a size").stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }

    /** Adds one layer; returns its output tensor (named after the layer). */
    private String layer(Map<String, Object> layer, List<String> in, boolean first) {
        String cls = (String) layer.get("class_name");
        Map<String, Object> c = TfjsModel.asMap(layer.get("config"), "config of a layer");
        String name = (String) (layer.containsKey("name") ? layer.get("name") : c.get("name"));
        if (cls == null || !LAYERS.contains(cls)) {
            throw FiltervisException.failure("Keras layer '" + name + "' is a " + cls + "; supported layers: " + String.join(", ", LAYERS));
        }
        if (!cls.equals("InputLayer") && in.isEmpty() && !first) {
            throw FiltervisException.failure("Keras layer '" + name + "' has no inputs");
        }
        if (first && !cls.equals("InputLayer")) {
            // A Sequential model without an InputLayer: its first layer carries batch_input_shape.
            in = List.of(input(name + "_input", c));
        }
        if (c.get("dtype") instanceof String dtype && !dtype.equals("float32")) {
            throw FiltervisException.failure("Keras layer '" + name + "' has dtype " + dtype + "; filtervis imports float32 models");
        }
        if (!"channels_last".equals(c.getOrDefault("data_format", "channels_last"))) {
            throw FiltervisException.failure("Keras layer '" + name + "' uses data_format " + c.get("data_format") + "; only channels_last is supported");
        }
        String x = in.isEmpty() ? null : in.get(0);
        String out = switch (cls) {
            case "InputLayer" -> input(name, c);
            case "Conv2D" -> conv(name, c, x, false);
            case "DepthwiseConv2D" -> conv(name, c, x, true);
            case "BatchNormalization" -> batchNorm(name, c, x);
            case "ReLU" -> relu(name, c, x);
            case "Activation" -> activation(name, (String) c.get("activation"), x, name);
            case "ZeroPadding2D" -> {
                Object p = c.get("padding");
                long t, b, l, r;
                if (p instanceof Number n) {
                    t = b = l = r = n.longValue();
                } else {
                    List<Object> pl = TfjsModel.asList(p, "padding");
                    if (pl.get(0) instanceof Number) {
                        t = b = ((Number) pl.get(0)).longValue();
                        l = r = ((Number) pl.get(1)).longValue();
                    } else {
                        long[] hp = ints(pl.get(0), 2);
                        long[] wp = ints(pl.get(1), 2);
                        t = hp[0];
                        b = hp[1];
                        l = wp[0];
                        r = wp[1];
                    }
                }
                String pads = weightLongs(name + "/pads", 0, 0, t, l, 0, 0, b, r);
                yield node("Pad", name, List.of(x, pads), name, 4);
            }
            case "MaxPooling2D", "AveragePooling2D" -> {
                long[] size = ints(c.getOrDefault("pool_size", List.of(2.0, 2.0)), 2);
                long[] strides = c.get("strides") == null ? size : ints(c.get("strides"), 2);
                List<Attribute> attrs = new ArrayList<>(List.of(Attribute.of("kernel_shape", size), Attribute.of("strides", strides)));
                if ("same".equals(c.get("padding"))) {
                    attrs.add(Attribute.of("auto_pad", "SAME_UPPER"));
                }
                yield node(cls.startsWith("Max") ? "MaxPool" : "AveragePool", name, List.of(x), name, 4, attrs.toArray(Attribute[]::new));
            }
            case "GlobalAveragePooling2D", "GlobalMaxPooling2D" -> {
                String pooled = node(cls.startsWith("GlobalAverage") ? "GlobalAveragePool" : "GlobalMaxPool", fresh(name), List.of(x), fresh(name), 4);
                yield Boolean.TRUE.equals(c.get("keepdims")) ? node("Identity", name, List.of(pooled), name, 4)
                        : node("Flatten", name, List.of(pooled), name, 2, Attribute.of("axis", 1L));
            }
            case "Concatenate" -> {
                int rank = ranks.get(x);
                long axis = ((Number) c.getOrDefault("axis", -1.0)).longValue();
                // Keras axes are NHWC; the graph is NCHW inside.
                long onnxAxis = rank == 4 ? new long[] {0, 2, 3, 1}[(int) (axis < 0 ? axis + 4 : axis)] : (axis < 0 ? axis + rank : axis);
                yield node("Concat", name, in, name, rank, Attribute.of("axis", onnxAxis));
            }
            case "Add", "Multiply", "Subtract" -> {
                String op = cls.equals("Add") ? "Add" : cls.equals("Multiply") ? "Mul" : "Sub";
                String acc = in.get(0);
                for (int i = 1; i < in.size(); i++) {
                    acc = node(op, i == in.size() - 1 ? name : fresh(name), List.of(acc, in.get(i)), i == in.size() - 1 ? name : fresh(name),
                            ranks.get(x));
                }
                yield acc;
            }
            case "Flatten" -> {
                if (ranks.get(x) == 2) {
                    yield node("Identity", name, List.of(x), name, 2);
                }
                // Keras flattens NHWC: go back to that order first.
                String nhwc = node("Transpose", fresh(name), List.of(x), fresh(name), 4, Attribute.of("perm", new long[] {0, 2, 3, 1}));
                yield node("Flatten", name, List.of(nhwc), name, 2, Attribute.of("axis", 1L));
            }
            case "Dense" -> dense(name, c, x);
            case "Dropout" -> node("Identity", name, List.of(x), name, ranks.get(x));
            default -> throw new IllegalStateException(cls);
        };
        outputs.put(name, out);
        return out;
    }

    private String weightLongs(String name, long... v) {
        graph.initializers.put(name, Tensor.vector(v));
        return name;
    }

    /** The NHWC graph input and its NCHW view (the tensor the layers use). */
    private String input(String name, Map<String, Object> c) {
        List<Object> shape = TfjsModel.asList(c.containsKey("batch_input_shape") ? c.get("batch_input_shape") : c.get("batch_shape"),
                "batch_input_shape of " + name);
        Object[] dims = new Object[4];
        String[] free = {"N", "H", "W", "C"};
        for (int i = 0; i < 4; i++) {
            Object d = shape.get(i);
            dims[i] = d == null ? free[i] : (Object) ((Number) d).longValue();
        }
        graph.inputs.add(new ValueInfo(name, DataType.FLOAT, java.util.Arrays.asList(dims)));
        ranks.put(name, 4);
        return node("Transpose", name + "#nchw", List.of(name), name + "#nchw", 4, Attribute.of("perm", new long[] {0, 3, 1, 2}));
    }

    private String conv(String name, Map<String, Object> c, String x, boolean depthwise) {
        long[] strides = ints(c.getOrDefault("strides", 1.0), 2);
        long[] dilation = ints(c.getOrDefault("dilation_rate", 1.0), 2);
        TfjsModel.Weight k = param(name, depthwise ? "depthwise_kernel" : "kernel", true);
        long[] ks = k.shape();
        // The config and the weights must describe the same layer: a model that says otherwise is corrupt.
        if (ks.length != 4) {
            throw mismatch(name, "a kernel of shape " + java.util.Arrays.toString(ks) + ", not [kh, kw, in, out]");
        }
        if (c.get("kernel_size") != null && !java.util.Arrays.equals(ints(c.get("kernel_size"), 2), new long[] {ks[0], ks[1]})) {
            throw mismatch(name, "kernel_size " + java.util.Arrays.toString(ints(c.get("kernel_size"), 2)) + " but a kernel of shape " + java.util.Arrays.toString(ks));
        }
        String count = depthwise ? "depth_multiplier" : "filters";
        if (c.get(count) instanceof Number f && f.longValue() != ks[3]) {
            throw mismatch(name, count + " " + f.longValue() + " but a kernel of shape " + java.util.Arrays.toString(ks));
        }
        float[] w;
        long[] ws;
        List<Attribute> attrs = new ArrayList<>(List.of(Attribute.of("kernel_shape", new long[] {ks[0], ks[1]}), Attribute.of("strides", strides),
                Attribute.of("dilations", dilation)));
        if (depthwise) {
            // [kh, kw, C, m] -> [C * m, 1, kh, kw]: output channel c * m + j reads input channel c.
            w = Tensor.transpose(k.values(), ks, new int[] {2, 3, 0, 1});
            ws = new long[] {ks[2] * ks[3], 1, ks[0], ks[1]};
            attrs.add(Attribute.of("group", ks[2]));
        } else {
            w = Tensor.transpose(k.values(), ks, new int[] {3, 2, 0, 1});
            ws = new long[] {ks[3], ks[2], ks[0], ks[1]};
        }
        if ("same".equals(c.get("padding"))) {
            attrs.add(Attribute.of("auto_pad", "SAME_UPPER"));
        }
        List<String> inputs = new ArrayList<>(List.of(x, weight(name + "/W", ws, w)));
        if (!Boolean.FALSE.equals(c.get("use_bias"))) {
            TfjsModel.Weight b = param(name, "bias", true);
            if (b.values().length != ws[0]) {
                throw mismatch(name, "a bias of shape " + java.util.Arrays.toString(b.shape()) + " for " + ws[0] + " output channels");
            }
            inputs.add(weight(name + "/B", b.shape(), b.values()));
        }
        String act = (String) c.getOrDefault("activation", "linear");
        boolean linear = act == null || act.equals("linear");
        String conv = node("Conv", linear ? name : name + "#conv", inputs, linear ? name : name + "#conv", 4, attrs.toArray(Attribute[]::new));
        return linear ? conv : activation(name + "#act", act, conv, name);
    }

    private String batchNorm(String name, Map<String, Object> c, String x) {
        long axis = ((Number) c.getOrDefault("axis", -1.0)).longValue();
        int rank = ranks.get(x);
        if (!(axis == -1 || axis == rank - 1 || (rank == 4 && axis == 3))) {
            throw FiltervisException.failure("Keras BatchNormalization '" + name + "' normalizes axis " + axis + "; only the channel axis is supported");
        }
        TfjsModel.Weight mean = param(name, "moving_mean", true);
        TfjsModel.Weight var = param(name, "moving_variance", true);
        int n = mean.values().length;
        float[] gamma = new float[n];
        float[] beta = new float[n];
        java.util.Arrays.fill(gamma, 1f);
        if (!Boolean.FALSE.equals(c.get("scale"))) {
            gamma = param(name, "gamma", true).values();
        }
        if (!Boolean.FALSE.equals(c.get("center"))) {
            beta = param(name, "beta", true).values();
        }
        long[] s = {n};
        float eps = ((Number) c.getOrDefault("epsilon", 1e-3)).floatValue();
        return node("BatchNormalization", name, List.of(x, weight(name + "/gamma", s, gamma), weight(name + "/beta", s, beta),
                weight(name + "/moving_mean", s, mean.values()), weight(name + "/moving_variance", s, var.values())), name, rank,
                Attribute.of("epsilon", eps));
    }

    private String relu(String name, Map<String, Object> c, String x) {
        double slope = ((Number) (c.get("negative_slope") == null ? 0.0 : c.get("negative_slope"))).doubleValue();
        double threshold = ((Number) (c.get("threshold") == null ? 0.0 : c.get("threshold"))).doubleValue();
        if (threshold != 0) {
            throw FiltervisException.failure("Keras ReLU '" + name + "' has threshold " + threshold + "; only 0 is supported");
        }
        Object max = c.get("max_value");
        if (slope != 0) {
            if (max != null) {
                throw FiltervisException.failure("Keras ReLU '" + name + "' has both max_value and negative_slope; not supported");
            }
            return node("LeakyRelu", name, List.of(x), name, ranks.get(x), Attribute.of("alpha", (float) slope));
        }
        if (max == null) {
            return node("Relu", name, List.of(x), name, ranks.get(x));
        }
        graph.initializers.put(name + "/min", Tensor.scalar(0f));
        graph.initializers.put(name + "/max", Tensor.scalar(((Number) max).floatValue()));
        return node("Clip", name, List.of(x, name + "/min", name + "/max"), name, ranks.get(x));
    }

    /** A Keras activation by name; the result is called {@code output}. */
    private String activation(String nodeName, String act, String x, String output) {
        int rank = ranks.get(x);
        return switch (act == null ? "linear" : act) {
            case "linear" -> node("Identity", nodeName, List.of(x), output, rank);
            case "relu" -> node("Relu", nodeName, List.of(x), output, rank);
            case "sigmoid" -> node("Sigmoid", nodeName, List.of(x), output, rank);
            case "tanh" -> node("Tanh", nodeName, List.of(x), output, rank);
            case "softmax" -> node("Softmax", nodeName, List.of(x), output, rank, Attribute.of("axis", 1L));
            case "relu6" -> {
                graph.initializers.put(nodeName + "/min", Tensor.scalar(0f));
                graph.initializers.put(nodeName + "/max", Tensor.scalar(6f));
                yield node("Clip", nodeName, List.of(x, nodeName + "/min", nodeName + "/max"), output, rank);
            }
            case "swish", "silu" -> node("Mul", nodeName, List.of(x, node("Sigmoid", fresh(nodeName), List.of(x), fresh(nodeName), rank)), output, rank);
            default -> throw FiltervisException.failure("Keras activation '" + act + "' (layer " + output
                    + ") is not supported; supported: linear, relu, relu6, sigmoid, tanh, softmax, swish");
        };
    }

    private String dense(String name, Map<String, Object> c, String x) {
        if (ranks.get(x) != 2) {
            throw FiltervisException.failure("Keras Dense '" + name + "' is applied to a " + ranks.get(x) + "-D tensor; only [batch, features] is supported");
        }
        TfjsModel.Weight k = param(name, "kernel", true);
        if (k.shape().length != 2 || (c.get("units") instanceof Number u && u.longValue() != k.shape()[1])) {
            throw mismatch(name, "units " + c.get("units") + " but a kernel of shape " + java.util.Arrays.toString(k.shape()));
        }
        List<String> inputs = new ArrayList<>(List.of(x, weight(name + "/kernel", k.shape(), k.values())));
        if (!Boolean.FALSE.equals(c.get("use_bias"))) {
            TfjsModel.Weight b = param(name, "bias", true);
            if (b.values().length != k.shape()[1]) {
                throw mismatch(name, "a bias of shape " + java.util.Arrays.toString(b.shape()) + " for " + k.shape()[1] + " units");
            }
            inputs.add(weight(name + "/bias", b.shape(), b.values()));
        }
        // One Gemm (kernel [in, out] as it is), so the layer's bias is not a separate Add listed among the joins.
        String y = node("Gemm", name + "#gemm", inputs, name + "#gemm", 2);
        return activation(name + "#act", (String) c.getOrDefault("activation", "linear"), y, name);
    }

    private static FiltervisException mismatch(String layer, String what) {
        return FiltervisException.failure("Keras layer '" + layer + "' has " + what + "; the model's config and weights disagree (corrupt file?)");
    }
}
