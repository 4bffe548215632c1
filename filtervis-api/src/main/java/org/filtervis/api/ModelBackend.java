package org.filtervis.api;

import java.nio.file.Path;
import java.util.List;

/**
 * A loaded framework: opens models. Made by {@link BackendProvider#create}; the caller closes it,
 * after closing every {@link Model} it opened. Not required to be thread-safe.
 */
public interface ModelBackend extends AutoCloseable {

    /** Model formats it opens, e.g. {@code onnx}. */
    List<String> modelFormats();

    /**
     * Opens a model file.
     *
     * @throws FiltervisException when the file is missing, is not a model of a supported format,
     *     or is damaged; the message names the file and the problem
     */
    Model open(Path model);

    /** Optional capability: formats {@link #convert} writes, e.g. {@code savedmodel}. */
    default List<String> convertsTo() {
        return List.of();
    }

    /**
     * Writes {@code model} in another format, for images of the given size (the size fixes the
     * shapes a converted graph computes). The output appears whole or not at all.
     *
     * @throws FiltervisException when the model cannot be opened or converted, or the output exists
     */
    default void convert(Path model, String format, Path output, int height, int width) {
        throw FiltervisException.usage("this backend does not convert models; formats it writes: " + convertsTo());
    }

    @Override
    void close();
}
