package org.filtervis.graph.autodiff;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.Node;
import org.filtervis.graph.Tensor;

/** Gradients of element-wise activations (and Softmax). Masks read the output where they can. */
final class ActivationRules {
    private ActivationRules() {}

    static void apply(Backward b, Node n, String dy) {
        String x = n.input(0);
        String y = n.output(0);
        switch (n.opType()) {
            // Masks read the output, not the input: y > 0 exactly where x > 0, and leaving the input
            // unread lets a runtime fuse the producing Conv with its activation.
            case "Relu" -> {
                if (!b.redirectRelu()) {
                    String positive = b.shape(y).length == 4 ? b.lowering().positiveMask(b, y) : b.mask(b.op("Greater", List.of(y, b.scalar(0))));
                    b.add(x, b.op("Mul", List.of(dy, positive)));
                    return;
                }
                String through = b.op("Greater", List.of(y, b.scalar(0)));
                // Redirected: also where the gradient would raise an inactive unit.
                b.add(x, masked(b, dy, y, through, () -> b.op("Or", List.of(through, b.op("Greater", List.of(dy, b.scalar(0)))))));
            }
            case "LeakyRelu" -> {
                float alpha = n.attr("alpha", 0.01f);
                String positive = b.mask(b.op("Greater", List.of(y, b.constant(Tensor.scalar(0)))));
                String slope = b.op("Add", List.of(b.op("Mul", List.of(positive, b.constant(Tensor.scalar(1 - alpha)))), b.constant(Tensor.scalar(alpha))));
                b.add(x, b.op("Mul", List.of(dy, slope)));
            }
            case "Clip" -> clip(b, n, dy);
            case "Sigmoid" -> b.add(x, b.op("Mul", List.of(dy, b.op("Mul", List.of(y, b.op("Sub", List.of(b.constant(Tensor.scalar(1)), y)))))));
            case "HardSigmoid" -> {
                String inside = b.op("And", List.of(b.op("Greater", List.of(y, b.scalar(0))), b.op("Less", List.of(y, b.scalar(1)))));
                b.add(x, b.op("Mul", List.of(dy, b.op("Mul", List.of(b.mask(inside), b.scalar(n.attr("alpha", 0.2f)))))));
            }
            case "HardSwish" -> {
                // d/dx x*relu6(x+3)/6: 0 below -3, x/3 + 1/2 between, 1 above 3 (PyTorch's choice at the kinks).
                String inside = b.mask(b.op("And", List.of(b.op("Greater", List.of(x, b.scalar(-3))), b.op("Less", List.of(x, b.scalar(3))))));
                String ramp = b.op("Mul", List.of(inside, b.op("Add", List.of(b.op("Mul", List.of(x, b.scalar(1f / 3))), b.scalar(0.5f)))));
                String slope = b.op("Add", List.of(ramp, b.mask(b.op("GreaterOrEqual", List.of(x, b.scalar(3))))));
                b.add(x, b.op("Mul", List.of(dy, slope)));
            }
            case "Erf" -> {
                String gauss = b.op("Exp", List.of(b.op("Neg", List.of(b.op("Mul", List.of(x, x))))));
                b.add(x, b.op("Mul", List.of(dy, b.op("Mul", List.of(gauss, b.scalar((float) (2 / Math.sqrt(Math.PI))))))));
            }
            case "Tanh" -> b.add(x, b.op("Mul", List.of(dy, b.op("Sub", List.of(b.scalar(1), b.op("Mul", List.of(y, y)))))));
            case "Exp" -> b.add(x, b.op("Mul", List.of(dy, y)));
            case "Sqrt" -> b.add(x, b.op("Div", List.of(b.op("Mul", List.of(dy, b.scalar(0.5f))), y)));
            case "Softmax" -> {
                long axis = Backward.normAxis(n.attr("axis", -1L), b.shape(y).length);
                String dot = b.op("ReduceSum", List.of(b.op("Mul", List.of(dy, y)), b.constant(Tensor.vector(axis))), Attribute.of("keepdims", 1L));
                b.add(x, b.op("Mul", List.of(y, b.op("Sub", List.of(dy, dot)))));
            }
            default -> throw new IllegalStateException("not an activation: " + n.opType());
        }
    }

    private static void clip(Backward b, Node n, String dy) {
        String x = n.input(0);
        String y = n.output(0);
        String m = null;
        if (!n.input(1).isEmpty()) {
            m = b.op("Greater", List.of(y, n.input(1)));
        }
        if (!n.input(2).isEmpty()) {
            String below = b.op("Less", List.of(y, n.input(2)));
            m = m == null ? below : b.op("And", List.of(m, below));
        }
        if (m == null) {
            b.add(x, dy);
            return;
        }
        b.add(x, masked(b, dy, y, m, () -> {
            String up = b.op("Greater", List.of(dy, b.scalar(0)));
            String down = b.op("Less", List.of(dy, b.scalar(0)));
            String fromBelow = n.input(1).isEmpty() ? null : b.op("Or", List.of(b.op("Greater", List.of(y, n.input(1))), up));
            String fromAbove = n.input(2).isEmpty() ? null : b.op("Or", List.of(b.op("Less", List.of(y, n.input(2))), down));
            return fromBelow == null ? fromAbove : fromAbove == null ? fromBelow : b.op("And", List.of(fromBelow, fromAbove));
        }));
    }

    /**
     * dy where {@code through} holds; with redirection, per image: where nothing gets through,
     * dy where {@code redirected} holds instead.
     */
    private static String masked(Backward b, String dy, String y, String through, Supplier<String> redirected) {
        String plain = b.op("Mul", List.of(dy, b.mask(through)));
        if (!b.redirectRelu()) {
            return plain;
        }
        String other = b.op("Mul", List.of(dy, b.mask(redirected.get())));
        int rank = b.shape(y).length;
        long[] axes = new long[rank - 1];
        Arrays.setAll(axes, i -> i + 1);
        String energy = b.op("ReduceSum", List.of(b.op("Mul", List.of(plain, plain)), b.constant(Tensor.vector(axes))), Attribute.of("keepdims", 1L));
        return b.op("Where", List.of(b.op("Greater", List.of(energy, b.scalar(0))), plain, other));
    }
}
