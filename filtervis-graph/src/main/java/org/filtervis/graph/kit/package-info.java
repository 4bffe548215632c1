/**
 * A kit for backends that lower the ONNX graph into their own framework: the prepared model
 * ({@link org.filtervis.graph.kit.PreparedModel}), the shared state of gradient providers and
 * differentiators, and build-version lookup. Backends use it; the host does not.
 */
package org.filtervis.graph.kit;
