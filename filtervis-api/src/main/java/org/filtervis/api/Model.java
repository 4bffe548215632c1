package org.filtervis.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** An opened model. Closed by its opener; close every {@link GradientProvider} first. */
public interface Model extends AutoCloseable {

    /** The single image input: its layout and size (height and width are -1 where free). */
    InputSpec input();

    /**
     * Every layer a user can pick, in graph order, with output shapes for one image of the given
     * size.
     */
    List<LayerInfo> layers(int height, int width);

    /**
     * Prepares the gradient of one layer's channel means for images of the given size.
     *
     * @throws FiltervisException (usage) for an unknown layer, with the closest names; or when the
     *     model cannot take that size, naming the size it needs
     */
    GradientProvider gradients(String layer, int height, int width);

    /** The Keras example's border: the channel mean leaves out 2 positions on every side. */
    int KERAS_BORDER = 2;

    /**
     * As {@link #gradients(String, int, int)}, the channel mean leaving out {@code border}
     * positions on every side when every spatial side exceeds {@code 2 * border}: 2 is the Keras
     * example's rule (what the three-argument form computes), 0 the mean over every position
     * (Lucid's and Lucent's {@code channel}). Backends that implement only the Keras rule keep
     * this default, which refuses other borders.
     *
     * @throws FiltervisException (usage) for a border this backend does not compute
     */
    default GradientProvider gradients(String layer, int height, int width, int border) {
        if (border == KERAS_BORDER) {
            return gradients(layer, height, width);
        }
        throw FiltervisException.usage("this backend takes channel means with the Keras example's 2-position border only; use --border 2"
                + " or another --backend");
    }

    /**
     * Optional capability, the general path every objective runs on: activations of the named
     * tensors (layer names as {@link #gradients} takes them) and gradients back to the images, for
     * images of the given size. Empty where the backend offers only {@link #gradients}.
     *
     * @throws FiltervisException (usage) for an unknown tensor, with the closest names
     */
    default Optional<Differentiator> differentiator(List<String> tensors, int height, int width) {
        return Optional.empty();
    }

    /**
     * Optional capability: the receptive field of a layer's positions, from the graph. Empty where
     * the backend cannot see the graph (or the layer has no spatial axes).
     */
    default Optional<ReceptiveField> receptiveField(String layer) {
        return Optional.empty();
    }

    /**
     * Optional capability: writes a self-contained model that computes the objectives and the
     * input gradient (what {@link #gradients} runs), for images of the given batch and size.
     */
    default Optional<GradientExporter> gradientExporter() {
        return Optional.empty();
    }

    @Override
    void close();

    /** Writes gradient models; see {@link Model#gradientExporter()}. */
    interface GradientExporter {
        void export(String layer, int batch, int height, int width, Path output);
    }
}
