package org.filtervis.core.objective;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.Differentiator;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.Model;
import org.filtervis.api.Objective;

/**
 * Any {@link Objective} as a {@link GradientProvider}, so the driver runs it unchanged: activations
 * from the backend's {@link Differentiator}, the objective and its seeds evaluated here
 * ({@link Objectives}), the seeds sent back for the input gradient, image terms added.
 */
public final class ObjectiveGradients implements GradientProvider {
    private final Differentiator differentiator;
    private final Objective objective;
    private final Map<String, long[]> shapes = new HashMap<>();
    private final int channels;
    private double lastBatchObjective;
    private final boolean linear;

    public ObjectiveGradients(Differentiator differentiator, Objective objective) {
        this.differentiator = differentiator;
        this.objective = objective;
        differentiator.tensors().forEach(t -> shapes.put(t, differentiator.shape(t)));
        Integer c = filterChannels(objective);
        this.channels = c != null ? c : 1;
        this.linear = Objectives.linearInActivations(objective);
    }

    /** Opens {@code objective} on {@code model} for images of the given size. */
    public static ObjectiveGradients open(Model model, Objective objective, int height, int width) {
        List<String> layers = List.copyOf(Objectives.layers(objective));
        if (layers.isEmpty()) {
            // Image terms alone: nothing for the network to compute.
            return new ObjectiveGradients(imageOnly(model.input().withSize(height, width)), objective);
        }
        Differentiator d = model.differentiator(layers, height, width).orElseThrow(() -> FiltervisException.usage(
                "this backend computes only channel objectives for this model; pick another --backend for --objective"));
        return new ObjectiveGradients(d, objective);
    }

    private static Differentiator imageOnly(InputSpec input) {
        return new Differentiator() {
            @Override
            public List<String> tensors() {
                return List.of();
            }

            @Override
            public long[] shape(String tensor) {
                throw new IllegalArgumentException(tensor);
            }

            @Override
            public InputSpec input() {
                return input;
            }

            @Override
            public Map<String, float[]> activations(float[] images, int n) {
                return Map.of();
            }

            @Override
            public void inputGradient(float[] images, int n, Map<String, float[]> seeds, float[] gradient) {
                java.util.Arrays.fill(gradient, 0, images.length, 0f);
            }

            @Override
            public void close() {}
        };
    }

    /** The channels {@code f} ranges over: those of the first term whose channel is the image's filter, or null. */
    private Integer filterChannels(Objective o) {
        if (o instanceof Objective.Sum s) {
            for (Objective.Weighted t : s.terms()) {
                Integer c = filterChannels(t.objective());
                if (c != null) {
                    return c;
                }
            }
            return null;
        }
        boolean usesFilter = o instanceof Objective.Channel c && c.channel() == null || o instanceof Objective.Neuron n && n.channel() == null
                || o instanceof Objective.Logit l && l.k() == null;
        return usesFilter ? (int) shapes.get(Objectives.layerOf(o))[0] : null;
    }

    /**
     * Whether "the objective rose above 0" means "the filter fired", as for a unit's activation
     * (channel, neuron, logit alone). For sums with image terms, DeepDream or directions it does
     * not, so the driver never calls such a run dead.
     */
    public boolean positiveMeansFiring() {
        return objective instanceof Objective.Channel || objective instanceof Objective.Neuron || objective instanceof Objective.Logit;
    }

    /**
     * The batch terms' value in the last {@link #compute} (0 without any): they belong to no one
     * image, so {@code objectives} holds each image's own terms only.
     */
    public double lastBatchObjective() {
        return lastBatchObjective;
    }

    public boolean hasBatchTerms() {
        return Objectives.hasBatchTerms(objective);
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public InputSpec input() {
        return differentiator.input();
    }

    @Override
    public int maxBatch() {
        return differentiator.maxBatch();
    }

    @Override
    public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
        int n = filters.length;
        float[] values = new float[n];
        double[] batch = new double[1];
        float[] imageGradient = new float[images.length];
        if (linear) {
            // The seeds do not depend on the activations: computed first (from zeros), sent with the images in one call.
            Map<String, float[]> zeros = new HashMap<>();
            shapes.forEach((t, s) -> zeros.put(t, new float[n * (int) java.util.Arrays.stream(s).reduce(1, (x, y) -> x * y)]));
            Map<String, float[]> seeds = new HashMap<>();
            zeros.forEach((t, z) -> seeds.put(t, new float[z.length]));
            Objectives.evaluate(objective, 1, new Objectives.Batch(n, filters, images, input(), zeros, shapes), new float[n], new double[1], seeds,
                    new float[images.length]);
            Map<String, float[]> activations = differentiator.activationsAndGradient(images, n, seeds, gradients);
            Map<String, float[]> unused = new HashMap<>();
            activations.forEach((t, a) -> unused.put(t, new float[a.length]));
            Objectives.evaluate(objective, 1, new Objectives.Batch(n, filters, images, input(), activations, shapes), values, batch, unused, imageGradient);
        } else {
            // The seeds are computed from the activations between the backend's forward and backward passes.
            differentiator.activationsAndGradient(images, n, activations -> {
                Map<String, float[]> seeds = new HashMap<>();
                activations.forEach((t, a) -> seeds.put(t, new float[a.length]));
                Objectives.evaluate(objective, 1, new Objectives.Batch(n, filters, images, input(), activations, shapes), values, batch, seeds,
                        imageGradient);
                return seeds;
            }, gradients);
        }
        lastBatchObjective = batch[0];
        for (int i = 0; i < imageGradient.length; i++) {
            gradients[i] += imageGradient[i];
        }
        System.arraycopy(values, 0, objectives, 0, n);
    }

    @Override
    public void close() {
        differentiator.close();
    }
}
