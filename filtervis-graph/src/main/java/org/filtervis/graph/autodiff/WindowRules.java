package org.filtervis.graph.autodiff;

import java.util.Arrays;
import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.Node;
import org.filtervis.graph.Tensor;

/** Gradients of windowed operators: convolution and pooling. */
final class WindowRules {
    private WindowRules() {}

    static void apply(Backward b, Node n, String dy) {
        switch (n.opType()) {
            case "Conv" -> conv(b, n, dy);
            case "MaxPool" -> maxPool(b, n, dy);
            case "AveragePool" -> averagePool(b, n, dy);
            case "GlobalAveragePool" -> {
                String x = n.input(0);
                long[] s = b.shape(x);
                long count = Tensor.elements(Arrays.copyOfRange(s, 2, s.length));
                String scaled = b.op("Mul", List.of(dy, b.constant(Tensor.scalar(1f / count))));
                b.add(x, b.op("Expand", List.of(scaled, b.constant(Tensor.vector(s)))));
            }
            default -> throw new IllegalStateException("not a window operator: " + n.opType());
        }
    }

    /** The input gradient: the lowering's form where it has one, else ConvTranspose with the same weights. */
    private static void conv(Backward b, Node n, String dy) {
        String x = n.input(0);
        String weights = n.input(1);
        if (b.active(weights)) {
            throw FiltervisException.failure("Conv node '" + n.describe() + "' has weights computed from the image; filtervis differentiates through data inputs only");
        }
        long[] ws = b.shape(weights);
        ConvWindow w = ConvWindow.of(b, n, Arrays.copyOfRange(ws, 2, ws.length));
        String lowered = b.lowering().convInputGradient(b, n, dy, w);
        if (lowered != null) {
            b.add(x, lowered);
            return;
        }
        String dx = b.op("ConvTranspose", List.of(dy, weights), w.transposeAttributes(n.attr("group", 1L)));
        b.add(x, ws.length == 4 ? b.lowering().settle(b, dx) : dx);
    }

    private static void maxPool(Backward b, Node n, String dy) {
        if (n.attr("storage_order", 0L) != 0) {
            throw FiltervisException.failure("MaxPool node '" + n.describe() + "' uses storage_order=1, which filtervis does not differentiate");
        }
        String x = n.input(0);
        // The forward pass hands over the argmax of every window; the gradient is scattered back
        // there, summing where windows overlap.
        String indices = n.outputs().size() > 1 ? n.output(1) : "";
        if (indices.isEmpty()) {
            // A second MaxPool gives the indices; the forward one stays as it was (one output),
            // the form runtimes optimize best.
            indices = b.fresh("argmax");
            b.graph().nodes.add(Node.of("MaxPool", indices + "_pool", n.inputs(), List.of(b.fresh("pooled"), indices),
                    n.attributes().values().toArray(new Attribute[0])));
        }
        long[] xs = b.shape(x);
        long total = Tensor.elements(xs);
        String zeros = b.op("ConstantOfShape", List.of(b.constant(Tensor.vector(total))), Attribute.of("value", Tensor.ofFloats(new long[] {1}, 0f)));
        String scattered = b.op("ScatterElements", List.of(zeros, b.reshape(indices, new long[] {-1}), b.reshape(dy, new long[] {-1})),
                Attribute.of("axis", 0L), Attribute.of("reduction", "add"));
        String dx = b.reshape(scattered, xs);
        b.add(x, xs.length == 4 ? b.lowering().settle(b, dx) : dx);
    }

    private static void averagePool(Backward b, Node n, String dy) {
        String x = n.input(0);
        long[] xs = b.shape(x);
        if (xs.length != 4) {
            throw FiltervisException.failure("AveragePool node '" + n.describe() + "' is not 2-D; filtervis differentiates 2-D pooling only");
        }
        long[] kernel = n.attr("kernel_shape", new long[0]);
        ConvWindow w = ConvWindow.of(b, n, kernel);
        boolean includePad = n.attr("count_include_pad", 0L) != 0;
        int oh = (int) w.out()[0];
        int ow = (int) w.out()[1];
        float[] scale = new float[oh * ow];
        for (int i = 0; i < oh; i++) {
            long rows = count(i, w, 0, includePad);
            for (int j = 0; j < ow; j++) {
                scale[i * ow + j] = 1f / (rows * count(j, w, 1, includePad));
            }
        }
        String scaled = b.op("Mul", List.of(dy, b.constant(Tensor.ofFloats(new long[] {1, 1, oh, ow}, scale))));
        long c = xs[1];
        float[] ones = new float[(int) (c * kernel[0] * kernel[1])];
        Arrays.fill(ones, 1f);
        String onesKernel = b.constant(Tensor.ofFloats(new long[] {c, 1, kernel[0], kernel[1]}, ones));
        b.add(x, b.op("ConvTranspose", List.of(scaled, onesKernel), w.transposeAttributes(c)));
    }

    /** How many input positions along one axis the window of output {@code o} averages over. */
    private static long count(long o, ConvWindow w, int axis, boolean includePad) {
        long start = o * w.stride()[axis] - w.begin()[axis];
        long stop = start + w.kernel()[axis];
        if (includePad) {
            return Math.min(stop, w.in()[axis] + w.end()[axis]) - start;
        }
        return Math.min(stop, w.in()[axis]) - Math.max(start, 0);
    }
}
