package org.filtervis.graph;

/** Window geometry of ONNX Conv and pooling nodes, shared by the backends that lower them. */
public final class Geometry {
    private Geometry() {}

    /**
     * Begin and end pads per spatial axis, from {@code pads} or {@code auto_pad}.
     *
     * @param in spatial sizes of the input
     * @return {begin[], end[]}
     */
    public static long[][] pads(Node n, long[] in, long[] kernel, long[] stride, long[] dilation) {
        int sp = in.length;
        long[] begin = new long[sp];
        long[] end = new long[sp];
        String autoPad = n.attr("auto_pad", "NOTSET");
        long[] given = n.attr("pads", new long[2 * sp]);
        for (int i = 0; i < sp; i++) {
            if (autoPad.startsWith("SAME")) {
                long out = (in[i] + stride[i] - 1) / stride[i];
                long total = Math.max(0, (out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - in[i]);
                begin[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                end[i] = total - begin[i];
            } else if (!autoPad.equals("VALID")) {
                begin[i] = given[i];
                end[i] = given[sp + i];
            }
        }
        return new long[][] {begin, end};
    }

    /** Pooling output size along one axis, PyTorch's rule for ceil_mode (the last window starts inside the input or its begin pad). */
    public static long poolOutput(long in, long begin, long end, long kernel, long stride, boolean ceil) {
        long span = in + begin + end - kernel;
        long out = (ceil ? Math.floorDiv(span + stride - 1, stride) : Math.floorDiv(span, stride)) + 1;
        if (ceil && (out - 1) * stride >= in + begin) {
            out--;
        }
        return out;
    }

    /** The shape ONNX Expand (numpy broadcasting) gives a tensor of shape {@code s} with target {@code target}. */
    public static long[] broadcast(long[] s, long[] target) {
        int rank = Math.max(s.length, target.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long a = i - (rank - s.length) >= 0 ? s[i - (rank - s.length)] : 1;
            long b = i - (rank - target.length) >= 0 ? target[i - (rank - target.length)] : 1;
            out[i] = Math.max(a, b);
        }
        return out;
    }

    /** A negative axis counted from the end. */
    public static int axis(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }
}
