package org.filtervis.graph.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
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

/**
 * Reverse-mode differentiation of an ONNX graph, written as standard ONNX operators into the same
 * graph: the caller seeds tensors with their gradients ({@link #seed}), {@link #run} walks the
 * nodes backwards and applies each operator's rule (the rule families: {@link ActivationRules},
 * {@link ArithmeticRules}, {@link ShapeRules}, {@link WindowRules}, {@link LinearRules}), and
 * {@link #gradient} names the summed gradient of any tensor. How a runtime prefers some of the
 * backward pass written (layouts, kernel choices) is a {@link Lowering}'s business, not the rules'.
 *
 * <p>All shapes are static: the caller supplies every tensor's shape for one batch and image
 * size, and the backward pass is built for exactly that size. The emitting methods are public so
 * that a model builder and a lowering write their nodes the same way.
 */
public final class Backward {
    /** Operators the backward pass supports (others may appear where no gradient flows). */
    public static final Set<String> SUPPORTED = new TreeSet<>(List.of(
            "Conv", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "Sigmoid", "MaxPool", "AveragePool",
            "GlobalAveragePool", "Add", "Sub", "Mul", "Div", "Concat", "Pad", "Flatten", "Reshape", "Squeeze",
            "Unsqueeze", "Transpose", "Gemm", "MatMul", "Identity", "Dropout", "Constant", "ReduceMean", "ReduceSum",
            "HardSigmoid", "HardSwish", "Erf", "Softmax", "LayerNormalization", "Split", "Slice", "Gather", "Expand", "Pow",
            "Sqrt", "Tanh", "Exp", "Neg", "Cast", "Sum"));

    /** Outputs of these carry no gradient (shapes, comparisons). */
    private static final Set<String> NOT_DIFFERENTIABLE = Set.of(
            "Shape", "Size", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "ArgMax", "ArgMin", "NonZero", "Not");

    private final Graph g;
    private final Map<String, long[]> shapes;
    private final Map<String, List<String>> gradParts = new HashMap<>();
    private final long opset;
    private final boolean redirectRelu;
    private final Lowering lowering;
    /** Tensors the image reaches (set by {@link #run}); only they collect gradients. */
    private final Set<String> active = new HashSet<>();
    private int counter;

    private Backward(Graph g, Map<String, long[]> shapes, long opset, boolean redirectRelu, Lowering lowering) {
        this.g = g;
        this.shapes = shapes;
        this.opset = opset;
        this.redirectRelu = redirectRelu;
        this.lowering = lowering;
    }

    /**
     * A backward pass to be written into {@code m}'s graph, which knows the shapes of its tensors
     * (given for one size), initializers and image input. With {@code redirectRelu}, Lucid's
     * redirected ReLU gradient: for an image whose gradient through a ReLU (or Clip) would be all
     * zero, the gradient passes where it pushes an inactive unit up.
     */
    public static Backward over(OnnxModel m, String image, long[] imageShape, Map<String, long[]> shapes, boolean redirectRelu, Lowering lowering) {
        Map<String, long[]> allShapes = new HashMap<>(shapes);
        m.graph.initializers.forEach((k, t) -> allShapes.put(k, t.shape()));
        allShapes.put(image, imageShape);
        return new Backward(m.graph, allShapes, m.opset(), redirectRelu, lowering);
    }

    /** Adds {@code grad} to the gradient arriving at {@code tensor} (before {@link #run}: a seed). */
    public void seed(String tensor, String grad) {
        gradParts.computeIfAbsent(tensor, k -> new ArrayList<>()).add(grad);
    }

    /**
     * Writes the backward pass from the seeds to {@code input}, through every node before the
     * first node named {@code stopAt}'s output (the objective, which the seeds replace), or through
     * all nodes when it is null. {@code target} names the seeded tensors in errors.
     */
    public void run(String input, String target, String stopAt) {
        active.add(input);
        List<Node> forward = new ArrayList<>();
        for (Node n : g.nodes) {
            if (stopAt != null && n.outputs().contains(stopAt)) {
                break;
            }
            forward.add(n);
            if (!NOT_DIFFERENTIABLE.contains(n.opType()) && n.inputs().stream().anyMatch(active::contains)) {
                n.outputs().stream().filter(o -> !o.isEmpty()).forEach(active::add);
            }
        }
        for (int i = forward.size() - 1; i >= 0; i--) {
            Node n = forward.get(i);
            if (!n.outputs().stream().anyMatch(active::contains)) {
                continue;
            }
            String dy = n.opType().equals("Split") ? "" : gradient(n.output(0));
            if (dy == null || (dy.isEmpty() && n.outputs().stream().allMatch(o -> gradient(o) == null))) {
                continue;
            }
            if (!SUPPORTED.contains(n.opType()) || !n.domain().isEmpty()) {
                throw FiltervisException.failure("unsupported operator " + n.opType() + " (node '" + n.describe() + "') on the path to layer '"
                        + target + "'; supported: " + String.join(", ", SUPPORTED) + ". Pick an earlier layer, or open an issue with the model");
            }
            rule(n, dy);
        }
    }

    private void rule(Node n, String dy) {
        switch (n.opType()) {
            case "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Erf", "Tanh", "Exp", "Sqrt", "Softmax" ->
                    ActivationRules.apply(this, n, dy);
            case "Identity", "Dropout", "Neg", "Cast", "Pow", "Expand", "Sum", "Add", "Sub", "Mul", "Div" -> ArithmeticRules.apply(this, n, dy);
            case "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather", "Transpose", "Pad" ->
                    ShapeRules.apply(this, n, dy);
            case "Conv", "MaxPool", "AveragePool", "GlobalAveragePool" -> WindowRules.apply(this, n, dy);
            case "Gemm", "MatMul", "BatchNormalization", "LayerNormalization", "ReduceMean", "ReduceSum" -> LinearRules.apply(this, n, dy);
            default -> throw new IllegalStateException("no rule for " + n.opType());
        }
    }

    /** The summed gradient of a tensor, or null when none reached it. */
    public String gradient(String tensor) {
        List<String> parts = gradParts.get(tensor);
        if (parts == null || parts.isEmpty()) {
            return null;
        }
        if (parts.size() > 1) {
            String sum = op("Sum", parts);
            parts.clear();
            parts.add(sum);
        }
        return parts.get(0);
    }

    /** Adds a gradient arriving at a tensor the image reaches (others are dropped). */
    void add(String tensor, String grad) {
        if (active.contains(tensor)) {
            gradParts.computeIfAbsent(tensor, k -> new ArrayList<>()).add(grad);
        }
    }

    boolean active(String tensor) {
        return active.contains(tensor);
    }

    boolean redirectRelu() {
        return redirectRelu;
    }

    Lowering lowering() {
        return lowering;
    }

    long opset() {
        return opset;
    }

    // ---------------------------------------------------------------- emitting

    /** The graph being written. */
    public Graph graph() {
        return g;
    }

    /** A tensor's shape for the size at hand. */
    public long[] shape(String tensor) {
        long[] s = shapes.get(tensor);
        if (s == null) {
            throw new IllegalStateException("no shape known for tensor '" + tensor + "'");
        }
        return s;
    }

    /** Records the shape of a tensor a caller wrote itself. */
    public void shape(String tensor, long[] shape) {
        shapes.put(tensor, shape);
    }

    /** A new tensor or node name. */
    public String fresh(String hint) {
        return "fv/" + hint + "_" + counter++;
    }

    /** A constant tensor added as an initializer. */
    public String constant(Tensor t) {
        String name = fresh("const");
        g.initializers.put(name, t);
        shapes.put(name, t.shape());
        return name;
    }

    public String scalar(float v) {
        return constant(Tensor.scalar(v));
    }

    /** One node of one output; returns the output. */
    public String op(String type, List<String> inputs, Attribute... attributes) {
        String out = fresh(type.toLowerCase());
        g.nodes.add(Node.of(type, out, inputs, List.of(out), attributes));
        return out;
    }

    public String reshape(String t, long[] shape) {
        return op("Reshape", List.of(t, constant(Tensor.vector(shape))));
    }

    /** A boolean tensor as float 0/1, to multiply a gradient with. */
    public String mask(String condition) {
        return op("Cast", List.of(condition), Attribute.of("to", (long) DataType.FLOAT.code));
    }

    /**
     * Sums a gradient of the broadcast result's shape down to an operand's shape. The result's
     * shape is read from the forward node's output; the gradient has that shape.
     */
    String unbroadcast(String grad, String result, String operand) {
        long[] out = shape(result);
        long[] in = shape(operand);
        int lead = out.length - in.length;
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            if (i < lead || (in[i - lead] == 1 && out[i] != 1)) {
                axes.add((long) i);
            }
        }
        if (axes.isEmpty()) {
            return grad;
        }
        String summed = op("ReduceSum", List.of(grad, constant(Tensor.vector(axes.stream().mapToLong(Long::longValue).toArray()))),
                Attribute.of("keepdims", 1L));
        return reshape(summed, in);
    }

    /** An input the backward pass needs as a constant (a weight, or a shape folded for this size). */
    Tensor constantInput(Node n, int input) {
        Tensor t = g.initializers.get(n.input(input));
        if (t == null) {
            throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' has a computed input '" + n.input(input)
                    + "'; filtervis needs it constant for the image size at hand");
        }
        return t;
    }

    static long[] filled(int n, long v) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    static long[] range(int rank) {
        long[] p = new long[rank];
        Arrays.setAll(p, i -> i);
        return p;
    }

    static long normAxis(long axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }
}
