package org.filtervis.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.DataType;
import org.filtervis.graph.GradientGraph;
import org.filtervis.graph.GraphPrep;
import org.filtervis.graph.Node;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.Tensor;
import org.filtervis.graph.ValueInfo;
import org.filtervis.graph.autodiff.Backward;
import org.filtervis.graph.autodiff.Lowering;

/**
 * The fused channel path's gradient model for ONNX Runtime: the forward graph cut at a layer, the
 * batched channel objective, and the backward pass ({@link Backward}, written the way
 * {@link OrtLowering} prefers).
 *
 * <p>Two inputs, the image batch and {@link #CHANNELS} (int64 [N], each image's target channel);
 * two outputs, {@link #OBJECTIVES} (float [N]) and {@link GradientGraph#GRADIENT}
 * (d sum(objectives) / d image). Because the channels are an input, one session serves every
 * batch of filters. Where the layer ends in a Conv and per-channel steps, only each image's own
 * channel of that Conv is computed ({@link #selectChannel}).
 */
final class ChannelGradientModel {
    static final String CHANNELS = "filtervis_channels";
    static final String OBJECTIVES = "filtervis_objectives";
    /** Metadata key marking a model as a filtervis gradient model; its value is the layer. */
    static final String LAYER_KEY = "filtervis.gradient.layer";

    private final Backward b;
    private final Lowering lowering;
    private final int border;

    private ChannelGradientModel(Backward b, Lowering lowering, int border) {
        this.b = b;
        this.lowering = lowering;
        this.border = border;
    }

    /**
     * Builds the gradient model, with Lucid's redirected ReLU gradient if asked.
     *
     * @param forward a prepared model ({@link GraphPrep#prepare}) cut to {@code layer} for the size
     * @param layer   the target tensor
     * @param shapes  the shape of every tensor of {@code forward} for that size
     * @param border   positions left out on every side of the channel mean ({@link GradientGraph#spatialWeights})
     * @param lowering a new {@link OrtLowering} (or {@link Lowering#PLAIN}, which the tests also run)
     */
    static OnnxModel build(OnnxModel forward, String layer, Map<String, long[]> shapes, boolean redirectRelu, int border, Lowering lowering) {
        OnnxModel m = forward.copy();
        ValueInfo image = GraphPrep.imageInput(m.graph);
        Backward b = Backward.over(m, image.name(), image.dims().stream().mapToLong(d -> (Long) d).toArray(), shapes, redirectRelu, lowering);
        ChannelGradientModel c = new ChannelGradientModel(b, lowering, border);
        String selected = c.selectChannel(layer);
        String target = selected != null ? selected : layer;
        b.seed(target, selected != null ? c.selectedSeed(selected) : c.objective(layer));
        b.run(image.name(), target, OBJECTIVES);
        String grad = b.gradient(image.name());
        if (grad == null) {
            throw FiltervisException.usage("layer '" + layer + "' does not depend on the input image; pick a layer after the input");
        }
        m.graph.nodes.add(Node.of("Identity", "fv/gradient", List.of(grad), List.of(GradientGraph.GRADIENT)));
        m.graph.inputs.add(ValueInfo.of(CHANNELS, DataType.INT64, image.dim(0)));
        m.graph.outputs.clear();
        m.graph.outputs.add(ValueInfo.of(OBJECTIVES, DataType.FLOAT, image.dim(0)));
        m.graph.outputs.add(new ValueInfo(GradientGraph.GRADIENT, DataType.FLOAT, image.dims()));
        m.metadata.put(LAYER_KEY, layer);
        return m;
    }

    /** Adds the objective output; returns d sum(objectives) / d layer (the seed of the backward pass). */
    private String objective(String layer) {
        long[] s = b.shape(layer);
        if (s.length < 2) {
            throw FiltervisException.usage("layer '" + layer + "' has shape " + Arrays.toString(s) + "; pick a layer with a channel axis");
        }
        long n = s[0];
        long c = s[1];
        String oneHot = b.op("OneHot", List.of(CHANNELS, b.constant(Tensor.vector(c)), b.constant(Tensor.ofFloats(new long[] {2}, 0f, 1f))),
                Attribute.of("axis", -1L));
        long[] maskShape = new long[s.length];
        Arrays.fill(maskShape, 1);
        maskShape[0] = n;
        maskShape[1] = c;
        String seed = b.reshape(oneHot, maskShape);
        if (s.length > 2) {
            seed = b.op("Mul", List.of(seed, b.constant(GradientGraph.spatialWeights(s, border))));
        }
        long[] axes = new long[s.length - 1];
        Arrays.setAll(axes, i -> i + 1);
        String weighted = b.op("Mul", List.of(layer, seed));
        b.graph().nodes.add(Node.of("ReduceSum", "fv/objective", List.of(weighted, b.constant(Tensor.vector(axes))), List.of(OBJECTIVES),
                Attribute.of("keepdims", 0L)));
        return lowering.seed(b, seed, s);
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
        Map<String, Node> producers = b.graph().producers();
        Map<String, Integer> uses = new HashMap<>();
        b.graph().nodes.forEach(n -> n.inputs().forEach(i -> uses.merge(i, 1, Integer::sum)));
        List<Node> activations = new ArrayList<>();
        Node n = producers.get(layer);
        while (n != null && Set.of("Relu", "Clip", "LeakyRelu").contains(n.opType()) && uses.getOrDefault(n.input(0), 0) == 1
                && (n.opType().equals("Relu") || n.inputs().stream().skip(1).allMatch(i -> i.isEmpty() || b.graph().initializers.containsKey(i)))) {
            activations.add(0, n);
            n = producers.get(n.input(0));
        }
        Node add = null;
        String other = null;
        if (n != null && n.opType().equals("Add")) {
            for (int i = 0; i < 2 && other == null; i++) {
                Node p = producers.get(n.input(i));
                if (p != null && p.opType().equals("Conv") && uses.getOrDefault(n.input(i), 0) == 1
                        && Arrays.equals(b.shape(n.input(1 - i)), b.shape(n.output(0)))) {
                    add = n;
                    other = n.input(1 - i);
                    n = p;
                }
            }
        }
        Tensor w = n == null || !n.opType().equals("Conv") ? null : b.graph().initializers.get(n.input(1));
        if (w == null || (add == null && activations.isEmpty()) || n.attr("group", 1L) != 1 || w.type() != DataType.FLOAT || w.shape().length != 4
                || (!n.input(2).isEmpty() && !b.graph().initializers.containsKey(n.input(2)))) {
            return null;
        }
        long[] ys = b.shape(n.output(0));
        long[] xs = b.shape(n.input(0));
        long batch = ys[0];
        long[] one = {batch, 1, ys[2], ys[3]};
        // Image i's filter: weights [N, Cin, kh, kw], the images side by side as one image of N*Cin channels.
        List<String> inputs = new ArrayList<>(List.of(
                b.reshape(n.input(0), new long[] {1, batch * xs[1], xs[2], xs[3]}),
                b.op("Gather", List.of(n.input(1), CHANNELS), Attribute.of("axis", 0L))));
        b.shape(inputs.get(0), new long[] {1, batch * xs[1], xs[2], xs[3]});
        b.shape(inputs.get(1), new long[] {batch, w.shape()[1], w.shape()[2], w.shape()[3]});
        if (!n.input(2).isEmpty()) {
            inputs.add(b.op("Gather", List.of(n.input(2), CHANNELS), Attribute.of("axis", 0L)));
            b.shape(inputs.get(2), new long[] {batch});
        }
        Map<String, Attribute> attributes = new java.util.LinkedHashMap<>(n.attributes());
        attributes.put("group", Attribute.of("group", batch));
        String grouped = b.fresh("selected_conv");
        if (lowering instanceof OrtLowering ort) {
            ort.select(grouped, w);
        }
        b.graph().nodes.add(new Node("Conv", grouped, "", inputs, List.of(grouped), attributes));
        b.shape(grouped, new long[] {1, batch, ys[2], ys[3]});
        String current = b.reshape(grouped, one);
        b.shape(current, one);
        if (add != null) {
            // The other addend's channel per image: a one-hot mask times it, summed over channels.
            String mask = b.reshape(b.op("OneHot", List.of(CHANNELS, b.constant(Tensor.vector(ys[1])), b.constant(Tensor.ofFloats(new long[] {2}, 0f, 1f))),
                    Attribute.of("axis", -1L)), new long[] {batch, ys[1], 1, 1});
            String masked = b.op("Mul", List.of(other, mask));
            b.shape(masked, ys);
            String picked = b.op("ReduceSum", List.of(masked, b.constant(Tensor.vector(1))), Attribute.of("keepdims", 1L));
            b.shape(picked, one);
            current = b.op("Add", List.of(current, picked));
            b.shape(current, one);
            b.graph().nodes.remove(add);
        }
        b.graph().nodes.remove(n);
        for (Node a : activations) {
            List<String> in = new ArrayList<>(a.inputs());
            in.set(0, current);
            current = b.fresh(a.opType().toLowerCase());
            b.graph().nodes.add(new Node(a.opType(), current, "", in, List.of(current), a.attributes()));
            b.shape(current, one);
            b.graph().nodes.remove(a);
        }
        return current;
    }

    /** The objective of a selected [N, 1, H, W] layer (its spatial mean); returns the backward seed. */
    private String selectedSeed(String selected) {
        long[] s = b.shape(selected);
        String seed = b.op("Expand", List.of(b.constant(GradientGraph.spatialWeights(s, border)), b.constant(Tensor.vector(s))));
        b.graph().nodes.add(Node.of("ReduceSum", "fv/objective", List.of(b.op("Mul", List.of(selected, seed)), b.constant(Tensor.vector(1, 2, 3))),
                List.of(OBJECTIVES), Attribute.of("keepdims", 0L)));
        return lowering.seed(b, seed, s);
    }
}
