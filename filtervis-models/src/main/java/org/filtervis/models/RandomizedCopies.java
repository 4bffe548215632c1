package org.filtervis.models;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.explain.Randomization;
import org.filtervis.graph.DataType;
import org.filtervis.graph.Graph;
import org.filtervis.graph.Node;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.Tensor;

/**
 * The randomisation test's copies of an ONNX model, written by rewriting its graph: the weighted
 * layers (Conv, ConvTranspose, Gemm, MatMul with a constant weight) grouped into blocks, a block
 * ending at each block output, and the top blocks' weights and biases re-drawn, cumulatively.
 * Each tensor is drawn from N(0, s^2), s its own standard deviation (0 stays 0), from a stream of
 * the seed and the tensor's name: the same copies for every backend, run and JVM.
 */
public final class RandomizedCopies implements Randomization.Copies {
    private static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");

    @Override
    public List<Randomization.Level> write(Path model, List<String> blockOutputs, long seed, int maxLevels, Path folder) {
        if (!model.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
            throw FiltervisException.usage("--evaluate randomization rewrites the model's graph, which needs an ONNX model (or a Keras one, which"
                    + " filtervis converts); " + model.getFileName() + " is not one: leave randomization out");
        }
        OnnxModel onnx = OnnxFormat.read(model);
        List<List<Node>> blocks = blocks(onnx.graph, new HashSet<>(blockOutputs));
        int total = blocks.stream().mapToInt(List::size).sum();
        if (total == 0) {
            throw FiltervisException.usage("the model has no layer with constant weights to randomise; leave randomization out");
        }
        List<Integer> counts = levels(blocks.size(), maxLevels);
        List<Randomization.Level> out = new ArrayList<>();
        for (int level : counts) {
            OnnxModel copy = OnnxFormat.read(OnnxFormat.write(onnx));
            int layers = 0;
            for (int b = blocks.size() - level; b < blocks.size(); b++) {
                for (Node n : blocks.get(b)) {
                    redraw(copy.graph, n, seed);
                    layers++;
                }
            }
            Path file = folder.resolve("randomized-" + level + ".onnx");
            try {
                OnnxFormat.write(copy, file);
            } catch (IOException e) {
                throw FiltervisException.failure("cannot write a randomised copy of the model to " + folder + " (" + e.getMessage() + ")", e);
            }
            out.add(new Randomization.Level(layers, total, file));
        }
        return out;
    }

    /** The weighted nodes in graph order, cut into blocks after each node that outputs a block output; empty blocks dropped. */
    static List<List<Node>> blocks(Graph g, Set<String> blockOutputs) {
        List<List<Node>> blocks = new ArrayList<>();
        List<Node> current = new ArrayList<>();
        for (Node n : g.nodes) {
            if (WEIGHTED.contains(n.opType()) && n.inputs().size() > 1 && isFloatConstant(g, n.input(1))) {
                current.add(n);
            }
            if (n.outputs().stream().anyMatch(blockOutputs::contains) && !current.isEmpty()) {
                blocks.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            blocks.add(current);
        }
        return blocks;
    }

    /** How many top blocks each level re-draws: 1, 2, ... every block, or {@code max} of them evenly spaced from 1 to all. */
    static List<Integer> levels(int blocks, int max) {
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i <= Math.min(blocks, max); i++) {
            int level = blocks <= max ? i : (int) Math.round(1 + (i - 1) * (blocks - 1) / (double) (max - 1));
            if (out.isEmpty() || out.get(out.size() - 1) != level) {
                out.add(level);
            }
        }
        return out;
    }

    private static boolean isFloatConstant(Graph g, String name) {
        Tensor t = g.initializers.get(name);
        return t != null && t.type() == DataType.FLOAT;
    }

    /** The node's weight and (constant) bias re-drawn in place. */
    private static void redraw(Graph g, Node n, long seed) {
        for (int i = 1; i < Math.min(3, n.inputs().size()); i++) {
            String name = n.input(i);
            if (!isFloatConstant(g, name)) {
                continue;
            }
            Tensor t = g.initializers.get(name);
            float[] v = t.floats();
            double mean = 0;
            for (float f : v) {
                mean += f / (double) v.length;
            }
            double var = 0;
            for (float f : v) {
                var += (f - mean) * (f - mean) / v.length;
            }
            double sd = Math.sqrt(var);
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
            float[] drawn = new float[v.length];
            for (int k = 0; k < drawn.length; k += 2) {
                // Box-Muller from our own stream, so every JVM draws the same.
                double u1 = 1 - r.nextDouble();
                double u2 = r.nextDouble();
                double rad = Math.sqrt(-2 * Math.log(u1)) * sd;
                drawn[k] = (float) (rad * Math.cos(2 * Math.PI * u2));
                if (k + 1 < drawn.length) {
                    drawn[k + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
                }
            }
            g.initializers.put(name, Tensor.ofFloats(t.shape(), drawn));
        }
    }
}
