/**
 * Reverse-mode differentiation of ONNX graphs into ONNX operators: the traversal
 * ({@link org.filtervis.graph.autodiff.Backward}), the rules per operator family, and the
 * {@link org.filtervis.graph.autodiff.Lowering} hook through which a runtime chooses forms.
 */
package org.filtervis.graph.autodiff;
