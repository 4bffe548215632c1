package org.filtervis.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.filtervis.api.FiltervisException;

/**
 * Builds the gradient model: the forward graph cut at a layer, the batched objective, and the
 * backward pass written as standard ONNX operators by reverse-mode differentiation.
 *
 * <p>The result has two inputs, the image batch and {@link #CHANNELS} (int64 [N], each image's
 * target channel), and two outputs, {@link #OBJECTIVES} (float [N]) and {@link #GRADIENT}
 * (d sum(objectives) / d image, the image's shape). Because the channels are an input, one
 * session serves every batch of filters.
 *
 * <p>All shapes are static: the caller supplies every tensor's shape for one batch size and
 * image size (ONNX Runtime's probe run gives them), and the backward graph is built for exactly
 * that size.
 */
public final class GradientGraph {
    public static final String CHANNELS = "filtervis_channels";
    public static final String OBJECTIVES = "filtervis_objectives";
    public static final String GRADIENT = "filtervis_gradient";
    /** Metadata key marking a model as a filtervis gradient model; its value is the layer. */
    public static final String LAYER_KEY = "filtervis.gradient.layer";

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
    /** The per-image Conv of {@link #selectChannel} and its full filter bank, or null. */
    private String selectedConv;
    private Tensor selectedWeights;
    private int counter;

    private GradientGraph(Graph g, Map<String, long[]> shapes, long opset, boolean redirectRelu) {
        this.g = g;
        this.shapes = shapes;
        this.opset = opset;
        this.redirectRelu = redirectRelu;
    }

    /**
     * Builds the gradient model.
     *
     * @param forward a prepared model ({@link GraphPrep#prepare}) cut to {@code layer} for the size
     * @param layer   the target tensor
     * @param shapes  the shape of every tensor of {@code forward} for that size
     */
    public static OnnxModel build(OnnxModel forward, String layer, Map<String, long[]> shapes) {
        return build(forward, layer, shapes, false);
    }

    /**
     * Builds the gradient model, with Lucid's redirected ReLU gradient if asked: for an image
     * whose gradient through a ReLU (or Clip) would be all zero, the gradient passes where it
     * pushes an inactive unit up, so a filter that does not fire on noise still gets a direction.
     */
    public static OnnxModel build(OnnxModel forward, String layer, Map<String, long[]> shapes, boolean redirectRelu) {
        OnnxModel m = forward.copy();
        Graph g = m.graph;
        ValueInfo image = GraphPrep.imageInput(g);
        GradientGraph b = over(m, image, shapes, redirectRelu);
        String selected = b.selectChannel(layer);
        String target = selected != null ? selected : layer;
        String seed = selected != null ? b.selectedSeed(selected) : b.objective(layer);
        b.gradParts.put(target, new ArrayList<>(List.of(seed)));
        b.backward(image.name(), target);
        String grad = b.gradient(image.name());
        if (grad == null) {
            throw FiltervisException.usage("layer '" + layer + "' does not depend on the input image; pick a layer after the input");
        }
        g.nodes.add(Node.of("Identity", "fv/gradient", List.of(grad), List.of(GRADIENT)));
        g.inputs.add(ValueInfo.of(CHANNELS, DataType.INT64, image.dim(0)));
        g.outputs.clear();
        g.outputs.add(ValueInfo.of(OBJECTIVES, DataType.FLOAT, image.dim(0)));
        g.outputs.add(new ValueInfo(GRADIENT, DataType.FLOAT, image.dims()));
        m.metadata.put(LAYER_KEY, layer);
        return m;
    }

    /** A builder over {@code m}'s graph, which knows the shapes of its tensors, initializers and image. */
    private static GradientGraph over(OnnxModel m, ValueInfo image, Map<String, long[]> shapes, boolean redirectRelu) {
        Map<String, long[]> allShapes = new HashMap<>(shapes);
        m.graph.initializers.forEach((k, t) -> allShapes.put(k, t.shape()));
        allShapes.put(image.name(), image.dims().stream().mapToLong(d -> (Long) d).toArray());
        return new GradientGraph(m.graph, allShapes, m.opset(), redirectRelu);
    }

    /** Name of the seed input of the {@code i}-th tensor of {@link #buildSeeded}. */
    public static String seedName(int i) {
        return "filtervis_seed_" + i;
    }

    /**
     * The general path's backward model: inputs the image and one seed per tensor (the tensor's
     * shape), output {@link #GRADIENT} = d(sum over t of sum(seed_t * t)) / d image. The host
     * evaluates the objective from the tensors' values and supplies its gradient as the seeds.
     *
     * @param forward a prepared model cut to {@code tensors} for the batch and size
     * @param shapes  the shape of every tensor of {@code forward} for that batch and size
     */
    public static OnnxModel buildSeeded(OnnxModel forward, List<String> tensors, Map<String, long[]> shapes) {
        return buildSeeded(forward, tensors, shapes, List.of());
    }

    /** Name of the output holding the gradient at the {@code i}-th tensor of {@code wrt} in {@link #buildSeeded}. */
    public static String gradientAtName(int i) {
        return "filtervis_gradient_at_" + i;
    }

    /**
     * As {@link #buildSeeded(OnnxModel, List, Map)}, with outputs {@link #gradientAtName} for the
     * gradient at each of {@code wrt} (tensors of {@code tensors}) as well.
     */
    public static OnnxModel buildSeeded(OnnxModel forward, List<String> tensors, Map<String, long[]> shapes, List<String> wrt) {
        OnnxModel m = forward.copy();
        Graph g = m.graph;
        ValueInfo image = GraphPrep.imageInput(g);
        GradientGraph b = over(m, image, shapes, false);
        for (int i = 0; i < tensors.size(); i++) {
            long[] s = shapes.get(tensors.get(i));
            g.inputs.add(ValueInfo.of(seedName(i), DataType.FLOAT, s));
            // A 4-D seed enters through an identity depthwise Conv, like the channel objective's, so the backward pass stays blocked.
            String seed = s.length == 4 ? b.depthwise(seedName(i), s[1], 1f) : seedName(i);
            b.gradParts.computeIfAbsent(tensors.get(i), k -> new ArrayList<>()).add(seed);
        }
        b.backward(image.name(), String.join(", ", tensors));
        String grad = b.gradient(image.name());
        if (grad == null) {
            throw FiltervisException.usage("layers " + tensors + " do not depend on the input image; pick layers after the input");
        }
        g.nodes.add(Node.of("Identity", "fv/gradient", List.of(grad), List.of(GRADIENT)));
        g.outputs.clear();
        g.outputs.add(new ValueInfo(GRADIENT, DataType.FLOAT, image.dims()));
        for (int i = 0; i < wrt.size(); i++) {
            // Every tensor of the objective has a seed, so a gradient always reached it.
            g.nodes.add(Node.of("Identity", "fv/gradient_at_" + i, List.of(b.gradient(wrt.get(i))), List.of(gradientAtName(i))));
            g.outputs.add(ValueInfo.untyped(gradientAtName(i)));
        }
        return m;
    }

    /** Adds the objective output; returns d sum(objectives) / d layer (the seed of the backward pass). */
    private String objective(String layer) {
        long[] s = shape(layer);
        if (s.length < 2) {
            throw FiltervisException.usage("layer '" + layer + "' has shape " + Arrays.toString(s) + "; pick a layer with a channel axis");
        }
        long n = s[0];
        long c = s[1];
        String oneHot = op("OneHot", List.of(CHANNELS, constant(Tensor.vector(c)), constant(Tensor.ofFloats(new long[] {2}, 0f, 1f))),
                Attribute.of("axis", -1L));
        long[] maskShape = new long[s.length];
        Arrays.fill(maskShape, 1);
        maskShape[0] = n;
        maskShape[1] = c;
        String seed = reshape(oneHot, maskShape);
        if (s.length > 2) {
            seed = op("Mul", List.of(seed, constant(spatialWeights(s))));
        }
        long[] axes = new long[s.length - 1];
        Arrays.setAll(axes, i -> i + 1);
        String weighted = op("Mul", List.of(layer, seed));
        g.nodes.add(Node.of("ReduceSum", "fv/objective", List.of(weighted, constant(Tensor.vector(axes))), List.of(OBJECTIVES),
                Attribute.of("keepdims", 0L)));
        return s.length == 4 ? depthwise(seed, c, 1f) : seed;
    }

    /**
     * Where the layer is a Conv's output followed only by per-channel steps (an Add of a tensor of
     * the same shape, then ReLU, Clip or LeakyRelu, as ResNet blocks end), each image needs only its
     * own channel of that Conv: the chain is rewritten to compute that one channel per image (the
     * filters gathered by the channels input, a Conv grouped by image), so the layer's last Conv
     * costs 1/C of its forward and backward work. Returns the selected [N, 1, H, W] layer, or null
     * (graph unchanged) where the pattern does not hold.
     */
    private String selectChannel(String layer) {
        Map<String, Node> producers = g.producers();
        Map<String, Integer> uses = new HashMap<>();
        g.nodes.forEach(n -> n.inputs().forEach(i -> uses.merge(i, 1, Integer::sum)));
        List<Node> activations = new ArrayList<>();
        Node n = producers.get(layer);
        while (n != null && Set.of("Relu", "Clip", "LeakyRelu").contains(n.opType()) && uses.getOrDefault(n.input(0), 0) == 1
                && (n.opType().equals("Relu") || n.inputs().stream().skip(1).allMatch(i -> i.isEmpty() || g.initializers.containsKey(i)))) {
            activations.add(0, n);
            n = producers.get(n.input(0));
        }
        Node add = null;
        String other = null;
        if (n != null && n.opType().equals("Add")) {
            for (int i = 0; i < 2 && other == null; i++) {
                Node p = producers.get(n.input(i));
                if (p != null && p.opType().equals("Conv") && uses.getOrDefault(n.input(i), 0) == 1
                        && Arrays.equals(shape(n.input(1 - i)), shape(n.output(0)))) {
                    add = n;
                    other = n.input(1 - i);
                    n = p;
                }
            }
        }
        Tensor w = n == null || !n.opType().equals("Conv") ? null : g.initializers.get(n.input(1));
        if (w == null || (add == null && activations.isEmpty()) || n.attr("group", 1L) != 1 || w.type() != DataType.FLOAT || w.shape().length != 4
                || (!n.input(2).isEmpty() && !g.initializers.containsKey(n.input(2)))) {
            return null;
        }
        long[] ys = shape(n.output(0));
        long[] xs = shape(n.input(0));
        long batch = ys[0];
        long[] one = {batch, 1, ys[2], ys[3]};
        // Image i's filter: weights [N, Cin, kh, kw], the images side by side as one image of N*Cin channels.
        List<String> inputs = new ArrayList<>(List.of(
                reshape(n.input(0), new long[] {1, batch * xs[1], xs[2], xs[3]}),
                op("Gather", List.of(n.input(1), CHANNELS), Attribute.of("axis", 0L))));
        shapes.put(inputs.get(0), new long[] {1, batch * xs[1], xs[2], xs[3]});
        shapes.put(inputs.get(1), new long[] {batch, w.shape()[1], w.shape()[2], w.shape()[3]});
        if (!n.input(2).isEmpty()) {
            inputs.add(op("Gather", List.of(n.input(2), CHANNELS), Attribute.of("axis", 0L)));
            shapes.put(inputs.get(2), new long[] {batch});
        }
        Map<String, Attribute> attributes = new java.util.LinkedHashMap<>(n.attributes());
        attributes.put("group", Attribute.of("group", batch));
        String grouped = fresh("selected_conv");
        selectedConv = grouped;
        selectedWeights = w;
        g.nodes.add(new Node("Conv", grouped, "", inputs, List.of(grouped), attributes));
        shapes.put(grouped, new long[] {1, batch, ys[2], ys[3]});
        String current = reshape(grouped, one);
        shapes.put(current, one);
        if (add != null) {
            // The other addend's channel per image: a one-hot mask times it, summed over channels.
            String mask = reshape(op("OneHot", List.of(CHANNELS, constant(Tensor.vector(ys[1])), constant(Tensor.ofFloats(new long[] {2}, 0f, 1f))),
                    Attribute.of("axis", -1L)), new long[] {batch, ys[1], 1, 1});
            String masked = op("Mul", List.of(other, mask));
            shapes.put(masked, ys);
            String picked = op("ReduceSum", List.of(masked, constant(Tensor.vector(1))), Attribute.of("keepdims", 1L));
            shapes.put(picked, one);
            current = op("Add", List.of(current, picked));
            shapes.put(current, one);
            g.nodes.remove(add);
        }
        g.nodes.remove(n);
        for (Node a : activations) {
            List<String> in = new ArrayList<>(a.inputs());
            in.set(0, current);
            current = fresh(a.opType().toLowerCase());
            g.nodes.add(new Node(a.opType(), current, "", in, List.of(current), a.attributes()));
            shapes.put(current, one);
            g.nodes.remove(a);
        }
        return current;
    }

    /** The objective of a selected [N, 1, H, W] layer (its spatial mean); returns the backward seed. */
    private String selectedSeed(String selected) {
        long[] s = shape(selected);
        String seed = op("Expand", List.of(constant(spatialWeights(s)), constant(Tensor.vector(s))));
        g.nodes.add(Node.of("ReduceSum", "fv/objective", List.of(op("Mul", List.of(selected, seed)), constant(Tensor.vector(1, 2, 3))),
                List.of(OBJECTIVES), Attribute.of("keepdims", 0L)));
        return depthwise(seed, 1, 1f);
    }

    /** Weights of the spatial mean: 1/count inside a 2-pixel border (the whole map when any side is 4 or less). */
    public static Tensor spatialWeights(long[] s) {
        long[] shape = new long[s.length];
        Arrays.fill(shape, 1);
        int spatial = s.length - 2;
        boolean border = true;
        for (int i = 0; i < spatial; i++) {
            shape[2 + i] = s[2 + i];
            border &= s[2 + i] > 4;
        }
        int total = (int) Tensor.elements(shape);
        float[] w = new float[total];
        int inside = 0;
        for (int idx = 0; idx < total; idx++) {
            boolean in = true;
            int rest = idx;
            for (int i = spatial - 1; i >= 0; i--) {
                long size = s[2 + i];
                long coord = rest % size;
                rest /= size;
                in &= !border || (coord >= 2 && coord < size - 2);
            }
            if (in) {
                w[idx] = 1;
                inside++;
            }
        }
        for (int i = 0; i < total; i++) {
            w[i] /= inside;
        }
        return Tensor.ofFloats(shape, w);
    }

    // ---------------------------------------------------------------- reverse pass

    private void backward(String input, String layer) {
        Set<String> active = new HashSet<>(List.of(input));
        List<Node> forward = new ArrayList<>();
        for (Node n : g.nodes) {
            if (n.opType().equals("ReduceSum") && n.output(0).equals(OBJECTIVES)) {
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
                        + layer + "'; supported: " + String.join(", ", SUPPORTED) + ". Pick an earlier layer, or open an issue with the model");
            }
            rule(n, dy, active);
        }
    }

    /** The summed gradient of a tensor, or null when none reached it. */
    private String gradient(String tensor) {
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

    private void add(String tensor, String grad, Set<String> active) {
        if (active.contains(tensor)) {
            gradParts.computeIfAbsent(tensor, k -> new ArrayList<>()).add(grad);
        }
    }

    private void rule(Node n, String dy, Set<String> active) {
        String x = n.input(0);
        String y = n.output(0);
        switch (n.opType()) {
            case "Identity", "Dropout" -> add(x, dy, active);
            case "Flatten", "Reshape", "Squeeze", "Unsqueeze" -> add(x, reshape(dy, shape(x)), active);
            // Masks read the output, not the input: y > 0 exactly where x > 0, and leaving the input
            // unread lets ONNX Runtime fuse the producing Conv with its activation.
            case "Relu" -> {
                if (!redirectRelu && shape(y).length == 4) {
                    add(x, op("Mul", List.of(dy, positiveMask(y))), active);
                    return;
                }
                String through = op("Greater", List.of(y, scalar(0)));
                // Redirected: also where the gradient would raise an inactive unit.
                add(x, masked(dy, y, through, () -> op("Or", List.of(through, op("Greater", List.of(dy, scalar(0)))))), active);
            }
            case "LeakyRelu" -> {
                float alpha = n.attr("alpha", 0.01f);
                String positive = mask(op("Greater", List.of(y, constant(Tensor.scalar(0)))));
                String slope = op("Add", List.of(op("Mul", List.of(positive, constant(Tensor.scalar(1 - alpha)))), constant(Tensor.scalar(alpha))));
                add(x, op("Mul", List.of(dy, slope)), active);
            }
            case "Clip" -> {
                String m = null;
                if (!n.input(1).isEmpty()) {
                    m = op("Greater", List.of(y, n.input(1)));
                }
                if (!n.input(2).isEmpty()) {
                    String below = op("Less", List.of(y, n.input(2)));
                    m = m == null ? below : op("And", List.of(m, below));
                }
                if (m == null) {
                    add(x, dy, active);
                } else {
                    String inside = m;
                    add(x, masked(dy, y, inside, () -> {
                        String up = op("Greater", List.of(dy, scalar(0)));
                        String down = op("Less", List.of(dy, scalar(0)));
                        String fromBelow = n.input(1).isEmpty() ? null : op("Or", List.of(op("Greater", List.of(y, n.input(1))), up));
                        String fromAbove = n.input(2).isEmpty() ? null : op("Or", List.of(op("Less", List.of(y, n.input(2))), down));
                        return fromBelow == null ? fromAbove : fromAbove == null ? fromBelow : op("And", List.of(fromBelow, fromAbove));
                    }), active);
                }
            }
            case "Sigmoid" -> add(x, op("Mul", List.of(dy, op("Mul", List.of(y, op("Sub", List.of(constant(Tensor.scalar(1)), y)))))), active);
            case "BatchNormalization" -> batchNorm(n, dy, active);
            case "Conv" -> conv(n, dy, active);
            case "MaxPool" -> maxPool(n, dy, active);
            case "AveragePool" -> averagePool(n, dy, active);
            case "GlobalAveragePool" -> {
                long[] s = shape(x);
                long count = Tensor.elements(Arrays.copyOfRange(s, 2, s.length));
                String scaled = op("Mul", List.of(dy, constant(Tensor.scalar(1f / count))));
                add(x, op("Expand", List.of(scaled, constant(Tensor.vector(s)))), active);
            }
            case "ReduceMean", "ReduceSum" -> reduce(n, dy, active);
            case "HardSigmoid" -> {
                String inside = op("And", List.of(op("Greater", List.of(y, scalar(0))), op("Less", List.of(y, scalar(1)))));
                add(x, op("Mul", List.of(dy, op("Mul", List.of(mask(inside), scalar(n.attr("alpha", 0.2f)))))), active);
            }
            case "HardSwish" -> {
                // d/dx x*relu6(x+3)/6: 0 below -3, x/3 + 1/2 between, 1 above 3 (PyTorch's choice at the kinks).
                String inside = mask(op("And", List.of(op("Greater", List.of(x, scalar(-3))), op("Less", List.of(x, scalar(3))))));
                String ramp = op("Mul", List.of(inside, op("Add", List.of(op("Mul", List.of(x, scalar(1f / 3))), scalar(0.5f)))));
                String slope = op("Add", List.of(ramp, mask(op("GreaterOrEqual", List.of(x, scalar(3))))));
                add(x, op("Mul", List.of(dy, slope)), active);
            }
            case "Erf" -> {
                String gauss = op("Exp", List.of(op("Neg", List.of(op("Mul", List.of(x, x))))));
                add(x, op("Mul", List.of(dy, op("Mul", List.of(gauss, scalar((float) (2 / Math.sqrt(Math.PI))))))), active);
            }
            case "Tanh" -> add(x, op("Mul", List.of(dy, op("Sub", List.of(scalar(1), op("Mul", List.of(y, y)))))), active);
            case "Exp" -> add(x, op("Mul", List.of(dy, y)), active);
            case "Sqrt" -> add(x, op("Div", List.of(op("Mul", List.of(dy, scalar(0.5f))), y)), active);
            case "Neg" -> add(x, op("Neg", List.of(dy)), active);
            case "Cast" -> {
                if (n.attr("to", 0L) != DataType.FLOAT.code) {
                    throw FiltervisException.failure("Cast node '" + n.describe() + "' turns the image's values into another type; filtervis differentiates float32 only");
                }
                add(x, dy, active);
            }
            case "Pow" -> {
                Tensor exponent = g.initializers.get(n.input(1));
                if (exponent == null || exponent.elements() != 1 || active.contains(n.input(1))) {
                    throw FiltervisException.failure("Pow node '" + n.describe() + "' has a computed exponent; filtervis differentiates x^c with a constant c");
                }
                float c = exponent.floats()[0];
                String slope = op("Mul", List.of(op("Pow", List.of(x, scalar(c - 1))), scalar(c)));
                add(x, op("Mul", List.of(dy, slope)), active);
            }
            case "Softmax" -> {
                long axis = normAxis(n.attr("axis", -1L), shape(y).length);
                String dot = op("ReduceSum", List.of(op("Mul", List.of(dy, y)), constant(Tensor.vector(axis))), Attribute.of("keepdims", 1L));
                add(x, op("Mul", List.of(y, op("Sub", List.of(dy, dot)))), active);
            }
            case "Expand" -> add(x, unbroadcast(dy, y, x), active);
            case "Sum" -> {
                for (String in : n.inputs()) {
                    if (active.contains(in)) {
                        add(in, unbroadcast(dy, y, in), active);
                    }
                }
            }
            case "LayerNormalization" -> layerNorm(n, dy, active);
            case "Split" -> split(n, active);
            case "Slice" -> slice(n, dy, active);
            case "Gather" -> gather(n, dy, active);
            case "Add" -> {
                add(x, unbroadcast(dy, y, x), active);
                add(n.input(1), unbroadcast(dy, y, n.input(1)), active);
            }
            case "Sub" -> {
                add(x, unbroadcast(dy, y, x), active);
                if (active.contains(n.input(1))) {
                    add(n.input(1), unbroadcast(op("Neg", List.of(dy)), y, n.input(1)), active);
                }
            }
            case "Mul" -> {
                if (active.contains(x)) {
                    add(x, unbroadcast(op("Mul", List.of(dy, n.input(1))), y, x), active);
                }
                if (active.contains(n.input(1))) {
                    add(n.input(1), unbroadcast(op("Mul", List.of(dy, x)), y, n.input(1)), active);
                }
            }
            case "Div" -> {
                String b = n.input(1);
                if (active.contains(x)) {
                    add(x, unbroadcast(op("Div", List.of(dy, b)), y, x), active);
                }
                if (active.contains(b)) {
                    String dB = op("Neg", List.of(op("Mul", List.of(dy, op("Div", List.of(y, b))))));
                    add(b, unbroadcast(dB, y, b), active);
                }
            }
            case "Concat" -> {
                int rank = shape(y).length;
                long axis = normAxis(n.attr("axis", 0L), rank);
                long[] sizes = n.inputs().stream().mapToLong(in -> shape(in)[(int) axis]).toArray();
                List<String> outs = new ArrayList<>();
                for (int i = 0; i < sizes.length; i++) {
                    outs.add(fresh("split"));
                }
                g.nodes.add(Node.of("Split", fresh("node"), List.of(dy, constant(Tensor.vector(sizes))), outs, Attribute.of("axis", axis)));
                for (int i = 0; i < sizes.length; i++) {
                    add(n.input(i), outs.get(i), active);
                }
            }
            case "Pad" -> pad(n, dy, active);
            case "Transpose" -> {
                int rank = shape(x).length;
                long[] perm = n.attr("perm", reversed(rank));
                long[] inverse = new long[rank];
                for (int i = 0; i < rank; i++) {
                    inverse[(int) perm[i]] = i;
                }
                add(x, op("Transpose", List.of(dy), Attribute.of("perm", inverse)), active);
            }
            case "Gemm" -> gemm(n, dy, active);
            case "MatMul" -> matMul(n, dy, active);
            default -> throw new IllegalStateException("no rule for " + n.opType());
        }
    }

    /**
     * y = (x - mean) * invstd * scale + bias over the trailing axes from {@code axis}: with
     * g = dy * scale and xhat = (x - mean) * invstd,
     * dx = invstd * (g - mean(g) - xhat * mean(g * xhat)). Mean and InvStdDev come from the
     * forward node's optional outputs.
     */
    private void layerNorm(Node n, String dy, Set<String> active) {
        String x = n.input(0);
        int rank = shape(x).length;
        long axis = normAxis(n.attr("axis", -1L), rank);
        if (active.contains(n.input(1)) || active.contains(n.input(2))) {
            throw FiltervisException.failure("LayerNormalization node '" + n.describe() + "' has computed scale or bias; filtervis needs them constant");
        }
        while (n.outputs().size() < 3) {
            n.outputs().add("");
        }
        for (int i = 1; i < 3; i++) {
            if (n.output(i).isEmpty()) {
                n.outputs().set(i, fresh(i == 1 ? "ln_mean" : "ln_invstd"));
            }
        }
        long[] axes = new long[(int) (rank - axis)];
        Arrays.setAll(axes, i -> axis + i);
        String xhat = op("Mul", List.of(op("Sub", List.of(x, n.output(1))), n.output(2)));
        String gs = op("Mul", List.of(dy, n.input(1)));
        String meanG = reduceMean(gs, axes);
        String meanGx = reduceMean(op("Mul", List.of(gs, xhat)), axes);
        String inner = op("Sub", List.of(op("Sub", List.of(gs, meanG)), op("Mul", List.of(xhat, meanGx))));
        add(x, op("Mul", List.of(inner, n.output(2))), active);
    }

    private String reduceMean(String t, long[] axes) {
        if (opset >= 18) {
            return op("ReduceMean", List.of(t, constant(Tensor.vector(axes))), Attribute.of("keepdims", 1L));
        }
        return op("ReduceMean", List.of(t), Attribute.of("axes", axes), Attribute.of("keepdims", 1L));
    }

    /** The gradient of a Split: its outputs' gradients concatenated, zeros where none arrived. */
    private void split(Node n, Set<String> active) {
        String x = n.input(0);
        int rank = shape(x).length;
        long axis = normAxis(n.attr("axis", 0L), rank);
        List<String> parts = new ArrayList<>();
        for (String out : n.outputs()) {
            String g = gradient(out);
            if (g == null) {
                g = op("ConstantOfShape", List.of(constant(Tensor.vector(shape(out)))), Attribute.of("value", Tensor.ofFloats(new long[] {1}, 0f)));
            }
            parts.add(g);
        }
        add(x, op("Concat", parts, Attribute.of("axis", axis)), active);
    }

    private void slice(Node n, String dy, Set<String> active) {
        String x = n.input(0);
        long[] xs = shape(x);
        int rank = xs.length;
        long[] starts = constantLongs(n, 1);
        long[] ends = constantLongs(n, 2);
        long[] axes = n.input(3).isEmpty() ? range(starts.length) : constantLongs(n, 3);
        long[] steps = n.input(4).isEmpty() ? filled(starts.length, 1) : constantLongs(n, 4);
        long[] pads = new long[2 * rank];
        for (int k = 0; k < starts.length; k++) {
            if (steps[k] != 1) {
                throw FiltervisException.failure("Slice node '" + n.describe() + "' has step " + steps[k] + "; filtervis differentiates slices with step 1");
            }
            int a = (int) normAxis(axes[k], rank);
            long d = xs[a];
            long begin = Math.max(0, Math.min(d, starts[k] < 0 ? starts[k] + d : starts[k]));
            long end = Math.max(begin, Math.min(d, ends[k] < 0 ? ends[k] + d : ends[k]));
            pads[a] = begin;
            pads[rank + a] = d - end;
        }
        add(x, op("Pad", List.of(dy, constant(Tensor.vector(pads)))), active);
    }

    /** Gather with constant indices: the gradient is summed back onto the gathered rows, here a matrix product with a one-hot matrix. */
    private void gather(Node n, String dy, Set<String> active) {
        String x = n.input(0);
        if (active.contains(n.input(1))) {
            throw FiltervisException.failure("Gather node '" + n.describe() + "' has indices computed from the image; filtervis differentiates gathers with constant indices");
        }
        long[] xs = shape(x);
        int rank = xs.length;
        int axis = (int) normAxis(n.attr("axis", 0L), rank);
        long[] indices = constantLongs(n, 1);
        long outer = Tensor.elements(Arrays.copyOfRange(xs, 0, axis));
        long inner = Tensor.elements(Arrays.copyOfRange(xs, axis + 1, rank));
        int k = indices.length;
        long d = xs[axis];
        float[] oneHot = new float[(int) (k * d)];
        for (int i = 0; i < k; i++) {
            long idx = indices[i] < 0 ? indices[i] + d : indices[i];
            oneHot[(int) (i * d + idx)] = 1;
        }
        String rows = op("Transpose", List.of(reshape(dy, new long[] {outer, k, inner})), Attribute.of("perm", new long[] {0, 2, 1}));
        String summed = op("MatMul", List.of(rows, constant(Tensor.ofFloats(new long[] {k, d}, oneHot))));
        String back = op("Transpose", List.of(summed), Attribute.of("perm", new long[] {0, 2, 1}));
        add(x, reshape(back, xs), active);
    }

    private long[] constantLongs(Node n, int input) {
        return constantInput(n, input).longs();
    }

    private String scalar(float v) {
        return constant(Tensor.scalar(v));
    }

    private void reduce(Node n, String dy, Set<String> active) {
        String x = n.input(0);
        long[] xs = shape(x);
        long[] axes = n.attr("axes", (long[]) null);
        if (!n.input(1).isEmpty()) {
            Tensor given = g.initializers.get(n.input(1));
            if (given == null) {
                throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' has computed axes; filtervis needs constant axes");
            }
            axes = given.longs();
        }
        if (axes == null || axes.length == 0) {
            if (n.attr("noop_with_empty_axes", 0L) != 0) {
                add(x, dy, active);
                return;
            }
            axes = range(xs.length);
        }
        long[] kept = xs.clone();
        long count = 1;
        for (long a : axes) {
            int axis = (int) normAxis(a, xs.length);
            count *= xs[axis];
            kept[axis] = 1;
        }
        String grad = reshape(dy, kept);
        if (n.opType().equals("ReduceMean")) {
            grad = op("Mul", List.of(grad, constant(Tensor.scalar(1f / count))));
        }
        add(x, op("Expand", List.of(grad, constant(Tensor.vector(xs)))), active);
    }

    private void batchNorm(Node n, String dy, Set<String> active) {
        if (n.attr("training_mode", 0L) != 0) {
            throw FiltervisException.failure("BatchNormalization node '" + n.describe() + "' is in training mode; export the model in eval mode");
        }
        float[] scale = constantFloats(n, 1);
        float[] variance = constantFloats(n, 4);
        float eps = n.attr("epsilon", 1e-5f);
        float[] k = new float[scale.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (scale[i] / Math.sqrt(variance[i] + (double) eps));
        }
        long[] s = new long[shape(n.input(0)).length];
        Arrays.fill(s, 1);
        s[1] = k.length;
        add(n.input(0), op("Mul", List.of(dy, constant(Tensor.ofFloats(s, k)))), active);
    }

    private float[] constantFloats(Node n, int input) {
        return constantInput(n, input).floats();
    }

    /** An input the backward pass needs as a constant (a weight, or a shape folded for this size). */
    private Tensor constantInput(Node n, int input) {
        Tensor t = g.initializers.get(n.input(input));
        if (t == null) {
            throw FiltervisException.failure(n.opType() + " node '" + n.describe() + "' has a computed input '" + n.input(input)
                    + "'; filtervis needs it constant for the image size at hand");
        }
        return t;
    }

    /** Per spatial axis: begin pad, end pad, kernel extent, stride, dilation, input and output size. */
    private record Window(long[] begin, long[] end, long[] kernel, long[] stride, long[] dilation, long[] in, long[] out) {
        int axes() {
            return in.length;
        }

        long extent(int i) {
            return dilation[i] * (kernel[i] - 1) + 1;
        }
    }

    private Window window(Node n, long[] kernel) {
        long[] xs = shape(n.input(0));
        long[] ys = shape(n.output(0));
        int sp = xs.length - 2;
        long[] in = Arrays.copyOfRange(xs, 2, xs.length);
        long[] out = Arrays.copyOfRange(ys, 2, ys.length);
        long[] stride = n.attr("strides", filled(sp, 1));
        long[] dilation = n.attr("dilations", filled(sp, 1));
        long[] begin = new long[sp];
        long[] end = new long[sp];
        String autoPad = n.attr("auto_pad", "NOTSET");
        for (int i = 0; i < sp; i++) {
            long extent = dilation[i] * (kernel[i] - 1) + 1;
            long total = Math.max(0, (out[i] - 1) * stride[i] + extent - in[i]);
            switch (autoPad) {
                case "SAME_UPPER" -> { begin[i] = total / 2; end[i] = total - begin[i]; }
                case "SAME_LOWER" -> { end[i] = total / 2; begin[i] = total - end[i]; }
                case "VALID" -> { }
                default -> {
                    long[] pads = n.attr("pads", new long[2 * sp]);
                    begin[i] = pads[i];
                    end[i] = pads[sp + i];
                }
            }
        }
        return new Window(begin, end, kernel, stride, dilation, in, out);
    }

    /**
     * Transposed-convolution attributes that map a gradient of the output size back onto exactly
     * the input size: the end pad absorbs windows that overhang, output_padding adds rows no
     * window touched.
     */
    private Attribute[] transposeAttributes(Window w, long group) {
        int sp = w.axes();
        long[] pads = new long[2 * sp];
        long[] outputPadding = new long[sp];
        for (int i = 0; i < sp; i++) {
            long full = (w.out[i] - 1) * w.stride[i] + w.extent(i) - w.begin[i];
            long endPad = full - w.in[i];
            pads[i] = w.begin[i];
            if (endPad >= 0) {
                pads[sp + i] = endPad;
            } else {
                outputPadding[i] = -endPad;
            }
        }
        return new Attribute[] {Attribute.of("strides", w.stride), Attribute.of("dilations", w.dilation), Attribute.of("pads", pads),
            Attribute.of("output_padding", outputPadding), Attribute.of("group", group), Attribute.of("kernel_shape", w.kernel)};
    }

    private void conv(Node n, String dy, Set<String> active) {
        String x = n.input(0);
        String weights = n.input(1);
        if (active.contains(weights)) {
            throw FiltervisException.failure("Conv node '" + n.describe() + "' has weights computed from the image; filtervis differentiates through data inputs only");
        }
        long[] ws = shape(weights);
        Window w = window(n, Arrays.copyOfRange(ws, 2, ws.length));
        long group = n.attr("group", 1L);
        Tensor constantWeights = g.initializers.get(weights);
        boolean unitStride = Arrays.stream(w.stride).allMatch(s -> s == 1);
        long[] pads = unitStride ? flippedPads(w) : null;
        if (pads != null && constantWeights != null && constantWeights.type() == DataType.FLOAT) {
            // Stride 1: the input gradient is a plain convolution with the kernel flipped and its
            // in/out channels swapped, which ONNX Runtime runs faster than ConvTranspose.
            String flipped = constant(flipKernel(constantWeights, (int) group));
            add(x, op("Conv", List.of(dy, flipped), Attribute.of("pads", pads), Attribute.of("dilations", w.dilation),
                    Attribute.of("group", group), Attribute.of("kernel_shape", w.kernel)), active);
            return;
        }
        if (pads != null && n.output(0).equals(selectedConv)) {
            // The per-image Conv: each image's flipped filter, gathered by channel, one group per image.
            long[] fs = selectedWeights.shape();
            long batch = group;
            String gathered = op("Gather", List.of(constant(flipKernel(selectedWeights, 1)), CHANNELS), Attribute.of("axis", 1L));
            String perImage = op("Transpose", List.of(gathered), Attribute.of("perm", new long[] {1, 0, 2, 3}));
            String filters = reshape(perImage, new long[] {batch * fs[1], 1, fs[2], fs[3]});
            add(x, op("Conv", List.of(dy, filters), Attribute.of("pads", pads), Attribute.of("dilations", w.dilation),
                    Attribute.of("group", batch), Attribute.of("kernel_shape", w.kernel)), active);
            return;
        }
        boolean fewInputs = ws.length == 4 && ws[1] <= 8 && group == 1 && w.stride[0] == w.stride[1]
                && Arrays.stream(w.dilation).allMatch(d -> d == 1);
        if (!unitStride && fewInputs && constantWeights != null && constantWeights.type() == DataType.FLOAT) {
            add(x, stridedConvByPhases(dy, constantWeights, w, shape(x)), active);
            return;
        }
        String dx = op("ConvTranspose", List.of(dy, weights), transposeAttributes(w, group));
        add(x, ws.length == 4 ? blocked(dx) : dx, active);
    }

    /**
     * A 4-D tensor passed through a 1x1 AveragePool, which changes nothing (NaN included) but makes
     * ONNX Runtime hand it on in its blocked (NCHWc) layout: the Sums, masks and Convs that follow
     * then stay in that layout instead of reordering their operands one by one.
     */
    private String blocked(String t) {
        return op("AveragePool", List.of(t), Attribute.of("kernel_shape", new long[] {1, 1}));
    }

    /** Pads of the stride-1 convolution that gives a stride-1 convolution's input gradient, or null where none fits. */
    private static long[] flippedPads(Window w) {
        int sp = w.axes();
        long[] pads = new long[2 * sp];
        for (int i = 0; i < sp; i++) {
            long end = w.out[i] - w.in[i] + w.extent(i) - 1 - w.begin[i];
            pads[i] = w.extent(i) - 1 - w.begin[i];
            pads[sp + i] = w.extent(i) - 1 - end;
            if (pads[i] < 0 || pads[sp + i] < 0) {
                return null;
            }
        }
        return pads;
    }

    /**
     * The input gradient of a strided convolution with few input channels (a network's first
     * layer), where ConvTranspose is slow: each stride-phase of the input grid is a stride-1
     * convolution of the output gradient with that phase's kernel taps, flipped. All phases run
     * as one convolution with s*s*C output channels; DepthToSpace interleaves them.
     */
    private String stridedConvByPhases(String dy, Tensor weights, Window w, long[] xs) {
        long[] ws = weights.shape();
        int o = (int) ws[0];
        int c = (int) ws[1];
        int kh = (int) ws[2];
        int kw = (int) ws[3];
        int s = (int) w.stride[0];
        int mh = (kh + s - 1) / s;
        int mw = (kw + s - 1) / s;
        float[] src = weights.floats();
        float[] dst = new float[s * s * c * o * mh * mw];
        for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
                int phase = (a % s) * s + b % s;
                int row = mh - 1 - a / s;
                int col = mw - 1 - b / s;
                for (int ci = 0; ci < c; ci++) {
                    for (int oi = 0; oi < o; oi++) {
                        dst[(((phase * c + ci) * o + oi) * mh + row) * mw + col] = src[((oi * c + ci) * kh + a) * kw + b];
                    }
                }
            }
        }
        long qh = Math.max(w.out[0], (w.begin[0] + xs[2] + s - 1) / s);
        long qw = Math.max(w.out[1], (w.begin[1] + xs[3] + s - 1) / s);
        String phases = op("Conv", List.of(dy, constant(Tensor.ofFloats(new long[] {(long) s * s * c, o, mh, mw}, dst))),
                Attribute.of("kernel_shape", new long[] {mh, mw}), Attribute.of("pads", new long[] {mh - 1, mw - 1, qh - w.out[0], qw - w.out[1]}));
        String grid = op("DepthToSpace", List.of(phases), Attribute.of("blocksize", (long) s), Attribute.of("mode", "DCR"));
        return op("Slice", List.of(grid, constant(Tensor.vector(w.begin[0], w.begin[1])),
                constant(Tensor.vector(w.begin[0] + xs[2], w.begin[1] + xs[3])), constant(Tensor.vector(2, 3))));
    }

    /** [Cout, Cin/g, k...] to [Cin, Cout/g, k...] with every spatial axis reversed, per group. */
    static Tensor flipKernel(Tensor w, int group) {
        long[] s = w.shape();
        int cout = (int) s[0];
        int cinG = (int) s[1];
        int coutG = cout / group;
        int k = (int) Tensor.elements(Arrays.copyOfRange(s, 2, s.length));
        float[] src = w.floats();
        float[] dst = new float[src.length];
        for (int gi = 0; gi < group; gi++) {
            for (int o = 0; o < coutG; o++) {
                for (int i = 0; i < cinG; i++) {
                    int from = ((gi * coutG + o) * cinG + i) * k;
                    int to = ((gi * cinG + i) * coutG + o) * k;
                    for (int j = 0; j < k; j++) {
                        dst[to + j] = src[from + k - 1 - j];
                    }
                }
            }
        }
        long[] t = s.clone();
        t[0] = (long) cinG * group;
        t[1] = coutG;
        return Tensor.ofFloats(t, dst);
    }

    private void maxPool(Node n, String dy, Set<String> active) {
        if (n.attr("storage_order", 0L) != 0) {
            throw FiltervisException.failure("MaxPool node '" + n.describe() + "' uses storage_order=1, which filtervis does not differentiate");
        }
        String x = n.input(0);
        // The forward pass hands over the argmax of every window; the gradient is scattered back
        // there, summing where windows overlap.
        String indices = n.outputs().size() > 1 ? n.output(1) : "";
        if (indices.isEmpty()) {
            // A second MaxPool gives the indices; the forward one stays without them, so ONNX
            // Runtime runs it (and everything after it) in its blocked layout.
            indices = fresh("argmax");
            g.nodes.add(Node.of("MaxPool", indices + "_pool", n.inputs(), List.of(fresh("pooled"), indices),
                    n.attributes().values().toArray(new Attribute[0])));
        }
        long[] xs = shape(x);
        long total = Tensor.elements(xs);
        String zeros = op("ConstantOfShape", List.of(constant(Tensor.vector(total))), Attribute.of("value", Tensor.ofFloats(new long[] {1}, 0f)));
        String scattered = op("ScatterElements", List.of(zeros, reshape(indices, new long[] {-1}), reshape(dy, new long[] {-1})),
                Attribute.of("axis", 0L), Attribute.of("reduction", "add"));
        String dx = reshape(scattered, xs);
        add(x, xs.length == 4 ? blocked(dx) : dx, active);
    }

    private void averagePool(Node n, String dy, Set<String> active) {
        String x = n.input(0);
        long[] xs = shape(x);
        if (xs.length != 4) {
            throw FiltervisException.failure("AveragePool node '" + n.describe() + "' is not 2-D; filtervis differentiates 2-D pooling only");
        }
        long[] kernel = n.attr("kernel_shape", new long[0]);
        Window w = window(n, kernel);
        boolean includePad = n.attr("count_include_pad", 0L) != 0;
        int oh = (int) w.out[0];
        int ow = (int) w.out[1];
        float[] scale = new float[oh * ow];
        for (int i = 0; i < oh; i++) {
            long rows = count(i, w, 0, includePad);
            for (int j = 0; j < ow; j++) {
                scale[i * ow + j] = 1f / (rows * count(j, w, 1, includePad));
            }
        }
        String scaled = op("Mul", List.of(dy, constant(Tensor.ofFloats(new long[] {1, 1, oh, ow}, scale))));
        long c = xs[1];
        float[] ones = new float[(int) (c * kernel[0] * kernel[1])];
        Arrays.fill(ones, 1f);
        String onesKernel = constant(Tensor.ofFloats(new long[] {c, 1, kernel[0], kernel[1]}, ones));
        add(x, op("ConvTranspose", List.of(scaled, onesKernel), transposeAttributes(w, c)), active);
    }

    /** How many input positions along one axis the window of output {@code o} averages over. */
    private static long count(long o, Window w, int axis, boolean includePad) {
        long start = o * w.stride[axis] - w.begin[axis];
        long stop = start + w.kernel[axis];
        if (includePad) {
            return Math.min(stop, w.in[axis] + w.end[axis]) - start;
        }
        return Math.min(stop, w.in[axis]) - Math.max(start, 0);
    }

    private void pad(Node n, String dy, Set<String> active) {
        String mode = n.attr("mode", "constant");
        if (!mode.equals("constant")) {
            throw FiltervisException.failure("Pad node '" + n.describe() + "' uses mode '" + mode + "'; filtervis differentiates constant padding only");
        }
        String x = n.input(0);
        long[] xs = shape(x);
        int rank = xs.length;
        Tensor padsTensor = g.initializers.get(n.input(1));
        if (padsTensor == null) {
            throw FiltervisException.failure("Pad node '" + n.describe() + "' has computed pads; filtervis needs constant pads");
        }
        long[] given = padsTensor.longs();
        long[] axes = n.input(3).isEmpty() ? range(rank) : g.initializers.get(n.input(3)).longs();
        long[] begin = new long[rank];
        int count = given.length / 2;
        for (int i = 0; i < count; i++) {
            int axis = (int) normAxis(n.input(3).isEmpty() ? i : axes[i], rank);
            begin[axis] = given[i];
            if (given[i] < 0 || given[count + i] < 0) {
                throw FiltervisException.failure("Pad node '" + n.describe() + "' crops (negative pads); filtervis differentiates padding only");
            }
        }
        long[] end = new long[rank];
        long[] all = new long[rank];
        for (int i = 0; i < rank; i++) {
            end[i] = begin[i] + xs[i];
            all[i] = i;
        }
        add(x, op("Slice", List.of(dy, constant(Tensor.vector(begin)), constant(Tensor.vector(end)), constant(Tensor.vector(all)))), active);
    }

    private void gemm(Node n, String dy, Set<String> active) {
        String a = n.input(0);
        String b = n.input(1);
        float alpha = n.attr("alpha", 1f);
        long transA = n.attr("transA", 0L);
        long transB = n.attr("transB", 0L);
        Attribute scale = Attribute.of("alpha", alpha);
        if (active.contains(a)) {
            // A' = op(A); dA' = alpha dY op(B)^T, transposed back when A was.
            String da = transA == 0
                    ? op("Gemm", List.of(dy, b), scale, Attribute.of("transB", 1 - transB))
                    : op("Gemm", List.of(b, dy), scale, Attribute.of("transA", transB), Attribute.of("transB", 1L));
            add(a, da, active);
        }
        if (active.contains(b)) {
            String db = transB == 0
                    ? op("Gemm", List.of(a, dy), scale, Attribute.of("transA", 1 - transA))
                    : op("Gemm", List.of(dy, a), scale, Attribute.of("transA", 1L), Attribute.of("transB", transA));
            add(b, db, active);
        }
        String c = n.input(2);
        if (!c.isEmpty() && active.contains(c)) {
            String dc = op("Mul", List.of(dy, constant(Tensor.scalar(n.attr("beta", 1f)))));
            add(c, unbroadcast(dc, n.output(0), c), active);
        }
    }

    private void matMul(Node n, String dy, Set<String> active) {
        String a = n.input(0);
        String b = n.input(1);
        String y = n.output(0);
        if (shape(a).length < 2 || shape(b).length < 2) {
            throw FiltervisException.failure("MatMul node '" + n.describe() + "' has a 1-D operand; filtervis differentiates MatMul of rank 2 and more");
        }
        if (active.contains(a)) {
            add(a, unbroadcast(op("MatMul", List.of(dy, swapLast(b))), y, a), active);
        }
        if (active.contains(b)) {
            add(b, unbroadcast(op("MatMul", List.of(swapLast(a), dy)), y, b), active);
        }
    }

    private String swapLast(String t) {
        int rank = shape(t).length;
        long[] perm = new long[rank];
        Arrays.setAll(perm, i -> i);
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = rank - 2;
        return op("Transpose", List.of(t), Attribute.of("perm", perm));
    }

    /**
     * Sums a gradient of the broadcast result's shape down to an operand's shape. The result's
     * shape is read from the forward node's output; the gradient has that shape.
     */
    private String unbroadcast(String grad, String result, String operand) {
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

    // ---------------------------------------------------------------- emitting

    private long[] shape(String tensor) {
        long[] s = shapes.get(tensor);
        if (s == null) {
            throw new IllegalStateException("no shape known for tensor '" + tensor + "'");
        }
        return s;
    }

    private String fresh(String hint) {
        return "fv/" + hint + "_" + counter++;
    }

    private String constant(Tensor t) {
        String name = fresh("const");
        g.initializers.put(name, t);
        shapes.put(name, t.shape());
        return name;
    }

    private String op(String type, List<String> inputs, Attribute... attributes) {
        String out = fresh(type.toLowerCase());
        g.nodes.add(Node.of(type, out, inputs, List.of(out), attributes));
        return out;
    }

    private String reshape(String t, long[] shape) {
        return op("Reshape", List.of(t, constant(Tensor.vector(shape))));
    }

    /**
     * dy where {@code through} holds; with redirection, per image: where nothing gets through,
     * dy where {@code redirected} holds instead.
     */
    private String masked(String dy, String y, String through, java.util.function.Supplier<String> redirected) {
        String plain = op("Mul", List.of(dy, mask(through)));
        if (!redirectRelu) {
            return plain;
        }
        String other = op("Mul", List.of(dy, mask(redirected.get())));
        int rank = shape(y).length;
        long[] axes = new long[rank - 1];
        Arrays.setAll(axes, i -> i + 1);
        String energy = op("ReduceSum", List.of(op("Mul", List.of(plain, plain)), constant(Tensor.vector(axes))), Attribute.of("keepdims", 1L));
        return op("Where", List.of(op("Greater", List.of(energy, scalar(0))), plain, other));
    }

    /**
     * 1 where a ReLU output is positive, 0 where it is zero, for a 4-D tensor, written so that
     * ONNX Runtime keeps it in its blocked (NCHWc) layout next to the convolutions: the output
     * scaled by 2^100 (a 1x1 depthwise Conv) and clipped to [0, 1] (fused into that Conv) is
     * exactly 0 at 0 and exactly 1 for every output from 2^-100 (8e-31) up. Greater+Cast would
     * leave that layout, costing two reorders and two passes per ReLU.
     */
    private String positiveMask(String y) {
        return op("Clip", List.of(depthwise(y, shape(y)[1], 0x1p100f), scalar(0), scalar(1)));
    }

    /**
     * {@code t} times {@code factor} as a 1x1 depthwise Conv: ONNX Runtime computes a Conv in
     * its blocked layout, so what follows (Mul, Sum, the next Conv) stays in that layout too.
     */
    private String depthwise(String t, long channels, float factor) {
        float[] k = new float[(int) channels];
        Arrays.fill(k, factor);
        return op("Conv", List.of(t, constant(Tensor.ofFloats(new long[] {channels, 1, 1, 1}, k))), Attribute.of("group", channels),
                Attribute.of("kernel_shape", new long[] {1, 1}));
    }

    /** A boolean tensor as float 0/1, to multiply a gradient with. */
    private String mask(String condition) {
        return op("Cast", List.of(condition), Attribute.of("to", (long) DataType.FLOAT.code));
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    private static long[] reversed(int rank) {
        long[] p = new long[rank];
        Arrays.setAll(p, i -> rank - 1 - i);
        return p;
    }

    private static long[] range(int rank) {
        long[] p = new long[rank];
        Arrays.setAll(p, i -> i);
        return p;
    }

    private static long normAxis(long axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }
}
