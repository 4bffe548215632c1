package org.filtervis.graph.kit;

import org.filtervis.api.InputSpec;
import org.filtervis.graph.GraphPrep;

/**
 * What a backend's gradient provider and differentiator hold alike: the images they take and the
 * largest batch of them one call runs.
 */
public abstract class BackendBatches {
    protected final InputSpec input;
    protected final int maxBatch;

    protected BackendBatches(InputSpec input, int maxBatch) {
        this.input = input;
        this.maxBatch = maxBatch;
    }

    public final InputSpec input() {
        return input;
    }

    public final int maxBatch() {
        return maxBatch;
    }

    /** Dims of a batch of {@code n} images in the input's layout. */
    protected final long[] imageDims(int n) {
        return GraphPrep.imageDims(input, n, input.height(), input.width());
    }
}
