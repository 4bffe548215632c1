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

    /** Refuses a negative border of the channel mean (see {@link org.filtervis.api.Model#gradients(String, int, int, int)}). */
    public static void requireBorder(int border) {
        if (border < 0) {
            throw org.filtervis.api.FiltervisException.usage("border " + border + " is negative; use --border 0 (every position) or more");
        }
    }

    @Override
    public final int channels() {
        return channels;
    }
}
