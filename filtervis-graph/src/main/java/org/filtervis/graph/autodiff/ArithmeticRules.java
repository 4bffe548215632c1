package org.filtervis.graph.autodiff;

import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.DataType;
import org.filtervis.graph.Node;
import org.filtervis.graph.Tensor;

/** Gradients of arithmetic with broadcasting (summed back to each operand's shape) and of pass-through nodes. */
final class ArithmeticRules {
    private ArithmeticRules() {}

    static void apply(Backward b, Node n, String dy) {
        String x = n.input(0);
        String y = n.output(0);
        switch (n.opType()) {
            case "Identity", "Dropout" -> b.add(x, dy);
            case "Neg" -> b.add(x, b.op("Neg", List.of(dy)));
            case "Cast" -> {
                if (n.attr("to", 0L) != DataType.FLOAT.code) {
                    throw FiltervisException.failure("Cast node '" + n.describe() + "' turns the image's values into another type; filtervis differentiates float32 only");
                }
                b.add(x, dy);
            }
            case "Pow" -> {
                Tensor exponent = b.graph().initializers.get(n.input(1));
                if (exponent == null || exponent.elements() != 1 || b.active(n.input(1))) {
                    throw FiltervisException.failure("Pow node '" + n.describe() + "' has a computed exponent; filtervis differentiates x^c with a constant c");
                }
                float c = exponent.floats()[0];
                String slope = b.op("Mul", List.of(b.op("Pow", List.of(x, b.scalar(c - 1))), b.scalar(c)));
                b.add(x, b.op("Mul", List.of(dy, slope)));
            }
            case "Expand" -> b.add(x, b.unbroadcast(dy, y, x));
            case "Sum" -> {
                for (String in : n.inputs()) {
                    if (b.active(in)) {
                        b.add(in, b.unbroadcast(dy, y, in));
                    }
                }
            }
            case "Add" -> {
                b.add(x, b.unbroadcast(dy, y, x));
                b.add(n.input(1), b.unbroadcast(dy, y, n.input(1)));
            }
            case "Sub" -> {
                b.add(x, b.unbroadcast(dy, y, x));
                if (b.active(n.input(1))) {
                    b.add(n.input(1), b.unbroadcast(b.op("Neg", List.of(dy)), y, n.input(1)));
                }
            }
            case "Mul" -> {
                if (b.active(x)) {
                    b.add(x, b.unbroadcast(b.op("Mul", List.of(dy, n.input(1))), y, x));
                }
                if (b.active(n.input(1))) {
                    b.add(n.input(1), b.unbroadcast(b.op("Mul", List.of(dy, x)), y, n.input(1)));
                }
            }
            case "Div" -> {
                String d = n.input(1);
                if (b.active(x)) {
                    b.add(x, b.unbroadcast(b.op("Div", List.of(dy, d)), y, x));
                }
                if (b.active(d)) {
                    String dD = b.op("Neg", List.of(b.op("Mul", List.of(dy, b.op("Div", List.of(y, d))))));
                    b.add(d, b.unbroadcast(dD, y, d));
                }
            }
            default -> throw new IllegalStateException("not arithmetic: " + n.opType());
        }
    }
}
