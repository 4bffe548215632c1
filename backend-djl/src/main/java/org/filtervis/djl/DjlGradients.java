package org.filtervis.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.kit.BackendGradients;
import org.filtervis.graph.GradientGraph;

/**
 * Objectives and input gradients by PyTorch autograd: the forward pass runs inside a gradient
 * collector, on a fresh input array each call (DJL accumulates gradients otherwise), in a
 * sub-manager closed after the call so memory stays flat over a long run.
 */
class DjlGradients extends BackendGradients {
    /** The network up to the layer: image batch in, activation out, arrays in {@code scope}. */
    interface Forward {
        NDArray apply(NDArray images, NDManager scope);
    }

    private final DjlBackend backend;
    private final Forward forward;
    private final int border;

    /** @param border positions left out on every side of the channel mean ({@link GradientGraph#spatialWeights}) */
    DjlGradients(DjlBackend backend, InputSpec input, int channels, int border, Forward forward) {
        super(input, channels, Integer.MAX_VALUE);
        this.backend = backend;
        this.forward = forward;
        this.border = border;
    }

    @Override
    public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
        int n = filters.length;
        GradientProvider.requireChannels(filters, channels);
        long[] dims = imageDims(n);
        try (NDManager scope = backend.root().newSubManager(); GradientCollector gc = backend.engine().newGradientCollector()) {
            NDArray x = scope.create(images, new Shape(dims));
            x.setRequiresGradient(true);
            NDArray act = forward.apply(x, scope);
            long[] s = act.getShape().getShape();
            float[] oneHot = new float[(int) (n * s[1])];
            for (int i = 0; i < n; i++) {
                oneHot[(int) (i * s[1] + filters[i])] = 1;
            }
            long[] maskShape = new long[s.length];
            Arrays.fill(maskShape, 1);
            maskShape[0] = n;
            maskShape[1] = s[1];
            NDArray seed = scope.create(oneHot, new Shape(maskShape));
            if (s.length > 2) {
                var spatial = GradientGraph.spatialWeights(s, border);
                seed = seed.mul(scope.create(spatial.floats(), new Shape(spatial.shape())));
            }
            int[] axes = new int[s.length - 1];
            Arrays.setAll(axes, i -> i + 1);
            NDArray obj = act.mul(seed).sum(axes);
            gc.backward(obj.sum());
            System.arraycopy(obj.toFloatArray(), 0, objectives, 0, n);
            System.arraycopy(x.getGradient().toFloatArray(), 0, gradients, 0, images.length);
        }
    }

    @Override
    public void close() {}
}
