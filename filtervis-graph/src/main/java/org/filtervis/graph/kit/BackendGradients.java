package org.filtervis.graph.kit;

import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;

/** What every backend's {@link GradientProvider} holds alike: the input it takes, the layer's channels, the largest batch. */
public abstract class BackendGradients extends BackendBatches implements GradientProvider {
    protected final int channels;

    protected BackendGradients(InputSpec input, int channels, int maxBatch) {
        super(input, maxBatch);
        this.channels = channels;
    }

    @Override
    public final int channels() {
        return channels;
    }
}
