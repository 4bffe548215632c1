package org.filtervis.graph;

import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;

/** What every backend's {@link GradientProvider} holds alike: the input it takes, the layer's channels, the largest batch. */
public abstract class BackendGradients implements GradientProvider {
    protected final InputSpec input;
    protected final int channels;
    protected final int maxBatch;

    protected BackendGradients(InputSpec input, int channels, int maxBatch) {
        this.input = input;
        this.channels = channels;
        this.maxBatch = maxBatch;
    }

    @Override
    public final int channels() {
        return channels;
    }

    @Override
    public final InputSpec input() {
        return input;
    }

    @Override
    public final int maxBatch() {
        return maxBatch;
    }

    /** Dims of a batch of {@code n} images in the input's layout. */
    protected final long[] batchDims(int n) {
        return GraphPrep.imageDims(input, n, input.height(), input.width());
    }
}
