package org.filtervis.graph;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The ONNX operators the lowering backends (tf, djl) turn into their framework's ops, and small helpers for their messages. */
public final class Operators {
    private Operators() {}

    public static final Set<String> LOWERED = java.util.Collections.unmodifiableSet(new TreeSet<>(List.of("Conv", "BatchNormalization",
            "LayerNormalization", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Exp", "Sqrt", "Pow", "Neg",
            "Softmax", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "ReduceSum", "Add", "Sub", "Mul", "Div", "Sum", "Concat",
            "Split", "Slice", "Gather", "Expand", "Pad", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Gemm", "MatMul", "Identity",
            "Dropout", "Cast", "ConstantOfShape")));

    /**
     * One step of a lowering loop: folds {@code n} into {@code constants} when it can be computed
     * here (shape subgraphs for the size at hand), else checks that the backend lowers it.
     *
     * @param shapes the shape of a tensor lowered so far, or null
     * @return true when folded (nothing to lower)
     * @throws org.filtervis.api.FiltervisException naming the operator, the node and what is supported
     */
    public static boolean foldOrRequireLowered(Node n, java.util.Map<String, Tensor> constants,
            java.util.function.Function<String, long[]> shapes, String backend) {
        Tensor folded = ConstantFolder.tryEvaluate(n, constants::get, shapes);
        if (folded != null) {
            constants.put(n.output(0), folded);
            return true;
        }
        if (!LOWERED.contains(n.opType()) || !n.domain().isEmpty()) {
            throw org.filtervis.api.FiltervisException.failure("unsupported operator " + n.opType() + " (node '" + n.describe() + "') for backend "
                    + backend + "; supported: " + String.join(", ", LOWERED) + ". Pick an earlier layer, or use --backend onnx");
        }
        return false;
    }

    /** The first line of a framework's (often multi-line) error message, trimmed. */
    public static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
