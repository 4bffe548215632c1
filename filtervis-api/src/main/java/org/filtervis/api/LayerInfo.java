package org.filtervis.api;

import java.util.List;

/**
 * A layer a user can visualize.
 *
 * @param name     what the user passes to {@code --layer}
 * @param opType   the operation that makes it, e.g. {@code Conv}, {@code Relu}
 * @param shape    output shape for one image, batch axis included, in the framework's layout
 * @param channels  number of channels (filters) it has
 * @param suggested whether it is a layer a person would pick first (a block's output, an
 *                  activation, the logits); lists put these first
 */
public record LayerInfo(String name, String opType, List<Long> shape, int channels, boolean suggested) {}
