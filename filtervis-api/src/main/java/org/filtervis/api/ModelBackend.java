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

    @Override
    void close();
}
