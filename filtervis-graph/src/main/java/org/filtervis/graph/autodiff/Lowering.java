package org.filtervis.graph.autodiff;

import java.util.List;
import org.filtervis.graph.Node;

/**
 * How a runtime wants parts of the backward pass written, where several ONNX forms compute the
 * same values and one runs faster on it (a memory layout kept, a kernel preferred). The rules
 * ask; {@link #PLAIN} answers with the direct form. Every answer must equal the plain one.
 */
public interface Lowering {
    /** The direct forms: a ReLU mask by comparison, gradients as they come, ConvTranspose for Conv. */
    Lowering PLAIN = new Lowering() {};

    /** 1 where {@code y} (a 4-D ReLU output) is positive, 0 where it is zero. */
    default String positiveMask(Backward b, String y) {
        return b.mask(b.op("Greater", List.of(y, b.scalar(0))));
    }

    /** A seed entering the backward pass at a tensor of {@code shape}. */
    default String seed(Backward b, String seed, long[] shape) {
        return seed;
    }

    /** A 4-D gradient written by a scatter or transposed convolution, about to flow on. */
    default String settle(Backward b, String grad) {
        return grad;
    }

    /**
     * The input gradient of Conv node {@code n} (its weights not computed from the image) from
     * the output gradient {@code dy}, or null to use the general rule (ConvTranspose).
     */
    default String convInputGradient(Backward b, Node n, String dy, ConvWindow w) {
        return null;
    }
}
