package org.filtervis.graph;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.autodiff.Backward;
import org.filtervis.graph.autodiff.Lowering;

/**
 * The general path's backward model: the forward graph cut at the tensors an objective reads, one
 * seed input per tensor (the objective's gradient there, which the host computes), and the input
 * gradient written by {@link Backward}. Also the channel objective's spatial weights, which every
 * backend's fused path shares.
 */
public final class GradientGraph {
    /** The output holding the input gradient. */
    public static final String GRADIENT = "filtervis_gradient";

    private GradientGraph() {}

    /** Name of the seed input of the {@code i}-th tensor of {@link #buildSeeded}. */
    public static String seedName(int i) {
        return "filtervis_seed_" + i;
    }

    /** Name of the output holding the gradient at the {@code i}-th tensor of {@code wrt} in {@link #buildSeeded}. */
    public static String gradientAtName(int i) {
        return "filtervis_gradient_at_" + i;
    }

    /**
     * Inputs the image and one seed per tensor (the tensor's shape); outputs {@link #GRADIENT} =
     * d(sum over t of sum(seed_t * t)) / d image, and {@link #gradientAtName} for the gradient at
     * each of {@code wrt} (tensors of {@code tensors}).
     *
     * @param forward  a prepared model cut to {@code tensors} for the batch and size
     * @param shapes   the shape of every tensor of {@code forward} for that batch and size
     * @param lowering how the runtime wants the backward pass written
     */
    public static OnnxModel buildSeeded(OnnxModel forward, List<String> tensors, Map<String, long[]> shapes, List<String> wrt, Lowering lowering) {
        OnnxModel m = forward.copy();
        Graph g = m.graph;
        ValueInfo image = GraphPrep.imageInput(g);
        Backward b = Backward.over(m, image.name(), image.dims().stream().mapToLong(d -> (Long) d).toArray(), shapes, false, lowering);
        for (int i = 0; i < tensors.size(); i++) {
            long[] s = shapes.get(tensors.get(i));
            g.inputs.add(ValueInfo.of(seedName(i), DataType.FLOAT, s));
            b.seed(tensors.get(i), lowering.seed(b, seedName(i), s));
        }
        b.run(image.name(), String.join(", ", tensors), null);
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

    /**
     * {@link #buildSeeded}'s model split in two for one forward pass per step: {@code forward}
     * (image in; the activations and the {@code saved} tensors out) runs before the host computes
     * the seeds, {@code backward} (the saved tensors, the seeds and, if it reads it, the image in)
     * after, reading what the forward run computed instead of computing it again.
     */
    public record Split(OnnxModel forward, OnnxModel backward, List<String> saved, boolean backwardReadsImage) {}

    /**
     * Splits a seeded model: every node that does not depend on a seed goes forward (the
     * network, and what the backward rules precompute from it, such as ReLU's masks); the rest
     * backward, with the forward tensors it reads as inputs.
     */
    public static Split split(OnnxModel seeded, List<String> activations) {
        Graph g = seeded.graph;
        String image = g.dataInputs().stream().map(ValueInfo::name).filter(n -> !n.startsWith("filtervis_seed_")).findFirst().orElseThrow();
        java.util.Set<String> seedDependent = new java.util.HashSet<>();
        g.inputs.stream().map(ValueInfo::name).filter(n -> n.startsWith("filtervis_seed_")).forEach(seedDependent::add);
        List<Node> forward = new java.util.ArrayList<>();
        List<Node> backward = new java.util.ArrayList<>();
        for (Node n : g.nodes) {
            if (n.inputs().stream().anyMatch(seedDependent::contains)) {
                backward.add(n);
                n.outputs().forEach(seedDependent::add);
            } else {
                forward.add(n);
            }
        }
        java.util.Set<String> forwardOutputs = new java.util.HashSet<>();
        forward.forEach(n -> forwardOutputs.addAll(n.outputs()));
        java.util.LinkedHashSet<String> saved = new java.util.LinkedHashSet<>();
        boolean readsImage = backward.stream().anyMatch(n -> n.inputs().contains(image));
        for (Node n : backward) {
            n.inputs().stream().filter(forwardOutputs::contains).forEach(saved::add);
        }
        OnnxModel f = seeded.copy();
        f.graph.nodes.clear();
        forward.forEach(n -> f.graph.nodes.add(n.copy()));
        f.graph.inputs.removeIf(v -> !v.name().equals(image));
        f.graph.outputs.clear();
        java.util.LinkedHashSet<String> outs = new java.util.LinkedHashSet<>(activations);
        outs.addAll(saved);
        outs.forEach(o -> f.graph.outputs.add(ValueInfo.untyped(o)));
        f.graph.pruneTo(outs);

        OnnxModel b = seeded.copy();
        b.graph.nodes.clear();
        backward.forEach(n -> b.graph.nodes.add(n.copy()));
        b.graph.inputs.removeIf(v -> !v.name().startsWith("filtervis_seed_") && !(readsImage && v.name().equals(image)));
        saved.forEach(t -> b.graph.inputs.add(ValueInfo.untyped(t)));
        java.util.Set<String> used = new java.util.HashSet<>();
        b.graph.nodes.forEach(n -> used.addAll(n.inputs()));
        b.graph.outputs.forEach(o -> used.add(o.name()));
        b.graph.initializers.keySet().retainAll(used);
        return new Split(f, b, List.copyOf(saved), readsImage);
    }

    /**
     * Weights of the spatial mean of a [N, C, spatial...] tensor: 1/count inside a border of
     * {@code border} positions on every side (the Keras example's 2), the whole map when any side
     * is {@code 2 * border} or less, and every position for border 0 (Lucid's channel objective).
     */
    public static Tensor spatialWeights(long[] s, int border) {
        long[] shape = new long[s.length];
        Arrays.fill(shape, 1);
        int spatial = s.length - 2;
        boolean inner = border > 0;
        for (int i = 0; i < spatial; i++) {
            shape[2 + i] = s[2 + i];
            inner &= s[2 + i] > 2L * border;
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
                in &= !inner || (coord >= border && coord < size - border);
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
}
