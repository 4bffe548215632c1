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

    /** The first line of a framework's (often multi-line) error message, trimmed. */
    public static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
