package org.filtervis.graph.kit;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.Differentiator;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.Graph;
import org.filtervis.graph.GraphPrep;

/**
 * What every backend's {@link Differentiator} holds alike: the input, the layers asked for and
 * the tensors they resolve to, one image's shape of each, the largest batch.
 */
public abstract class BackendDifferentiator extends BackendBatches implements Differentiator {
    /** Layer name as asked for -> the tensor it resolves to, in the order asked. */
    protected final Map<String, String> tensorOf;
    protected final Map<String, long[]> shapes;

    protected BackendDifferentiator(InputSpec input, Map<String, String> tensorOf, Map<String, long[]> shapes, int maxBatch) {
        super(input, maxBatch);
        this.tensorOf = tensorOf;
        this.shapes = shapes;
    }

    /** The tensors {@code layers} resolve to in {@code graph}, by layer, in order (unknown names get the closest). */
    public static Map<String, String> resolve(Graph graph, List<String> layers) {
        Map<String, String> tensorOf = new LinkedHashMap<>();
        layers.forEach(l -> tensorOf.put(l, GraphPrep.resolveLayer(graph, l)));
        return tensorOf;
    }

    /** One image's shape of each layer, from the shapes {@code probe} gives for a batch (the batch axis dropped). */
    public static Map<String, long[]> perImage(Map<String, String> tensorOf, Map<String, long[]> probed) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensorOf.forEach((l, t) -> shapes.put(l, Arrays.copyOfRange(probed.get(t), 1, probed.get(t).length)));
        return shapes;
    }

    @Override
    public final List<String> tensors() {
        return List.copyOf(tensorOf.keySet());
    }

    @Override
    public final long[] shape(String tensor) {
        return shapes.get(tensor).clone();
    }

    /** Dims of a batch of {@code n} activations of one image's shape {@code one}. */
    protected static long[] batchDims(int n, long[] one) {
        long[] d = new long[one.length + 1];
        d[0] = n;
        System.arraycopy(one, 0, d, 1, one.length);
        return d;
    }
}
