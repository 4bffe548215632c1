package org.filtervis.onnx;

import java.util.Arrays;
import java.util.List;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.DataType;
import org.filtervis.graph.Node;
import org.filtervis.graph.Tensor;
import org.filtervis.graph.autodiff.Backward;
import org.filtervis.graph.autodiff.ConvWindow;
import org.filtervis.graph.autodiff.Lowering;

/**
 * How ONNX Runtime's CPU kernels want the backward pass written: 4-D gradients kept in its
 * blocked (NCHWc) layout next to the convolutions, and convolution input gradients as forward
 * convolutions, which it runs faster than ConvTranspose. Every form computes the values of
 * {@link Lowering#PLAIN}'s; the operator contract runs both.
 */
final class OrtLowering implements Lowering {
    /** The per-image Conv of {@link ChannelGradientModel}'s channel selection and its full filter bank, or null. */
    private String selectedConv;
    private Tensor selectedWeights;

    void select(String conv, Tensor weights) {
        selectedConv = conv;
        selectedWeights = weights;
    }

    /**
     * 1 where a ReLU output is positive, 0 where it is zero, kept in the blocked layout: the
     * output scaled by 2^100 (a 1x1 depthwise Conv) and clipped to [0, 1] (fused into that Conv) is
     * exactly 0 at 0 and exactly 1 for every output from 2^-100 (8e-31) up. Greater+Cast would
     * leave that layout, costing two reorders and two passes per ReLU.
     */
    @Override
    public String positiveMask(Backward b, String y) {
        return b.op("Clip", List.of(depthwise(b, y, b.shape(y)[1], 0x1p100f), b.scalar(0), b.scalar(1)));
    }

    /** A 4-D seed enters through an identity depthwise Conv, so the backward pass starts blocked. */
    @Override
    public String seed(Backward b, String seed, long[] shape) {
        return shape.length == 4 ? depthwise(b, seed, shape[1], 1f) : seed;
    }

    /**
     * Through a 1x1 AveragePool, which changes nothing (NaN included) but makes ONNX Runtime hand
     * the tensor on in its blocked layout: the Sums, masks and Convs that follow then stay in that
     * layout instead of reordering their operands one by one.
     */
    @Override
    public String settle(Backward b, String grad) {
        return b.op("AveragePool", List.of(grad), Attribute.of("kernel_shape", new long[] {1, 1}));
    }

    @Override
    public String convInputGradient(Backward b, Node n, String dy, ConvWindow w) {
        long group = n.attr("group", 1L);
        Tensor constantWeights = b.graph().initializers.get(n.input(1));
        long[] ws = b.shape(n.input(1));
        boolean unitStride = Arrays.stream(w.stride()).allMatch(s -> s == 1);
        long[] pads = unitStride ? flippedPads(w) : null;
        if (pads != null && constantWeights != null && constantWeights.type() == DataType.FLOAT) {
            // Stride 1: the input gradient is a plain convolution with the kernel flipped and its
            // in/out channels swapped.
            String flipped = b.constant(flipKernel(constantWeights, (int) group));
            return b.op("Conv", List.of(dy, flipped), Attribute.of("pads", pads), Attribute.of("dilations", w.dilation()),
                    Attribute.of("group", group), Attribute.of("kernel_shape", w.kernel()));
        }
        if (pads != null && n.output(0).equals(selectedConv)) {
            // The per-image Conv: each image's flipped filter, gathered by channel, one group per image.
            long[] fs = selectedWeights.shape();
            long batch = group;
            String gathered = b.op("Gather", List.of(b.constant(flipKernel(selectedWeights, 1)), ChannelGradientModel.CHANNELS), Attribute.of("axis", 1L));
            String perImage = b.op("Transpose", List.of(gathered), Attribute.of("perm", new long[] {1, 0, 2, 3}));
            String filters = b.reshape(perImage, new long[] {batch * fs[1], 1, fs[2], fs[3]});
            return b.op("Conv", List.of(dy, filters), Attribute.of("pads", pads), Attribute.of("dilations", w.dilation()),
                    Attribute.of("group", batch), Attribute.of("kernel_shape", w.kernel()));
        }
        boolean fewInputs = ws.length == 4 && ws[1] <= 8 && group == 1 && w.stride()[0] == w.stride()[1]
                && Arrays.stream(w.dilation()).allMatch(d -> d == 1);
        if (!unitStride && fewInputs && constantWeights != null && constantWeights.type() == DataType.FLOAT) {
            return stridedConvByPhases(b, dy, constantWeights, w, b.shape(n.input(0)));
        }
        return null;
    }

    /**
     * {@code t} times {@code factor} as a 1x1 depthwise Conv: ONNX Runtime computes a Conv in
     * its blocked layout, so what follows (Mul, Sum, the next Conv) stays in that layout too.
     */
    static String depthwise(Backward b, String t, long channels, float factor) {
        float[] k = new float[(int) channels];
        Arrays.fill(k, factor);
        return b.op("Conv", List.of(t, b.constant(Tensor.ofFloats(new long[] {channels, 1, 1, 1}, k))), Attribute.of("group", channels),
                Attribute.of("kernel_shape", new long[] {1, 1}));
    }

    /** Pads of the stride-1 convolution that gives a stride-1 convolution's input gradient, or null where none fits. */
    private static long[] flippedPads(ConvWindow w) {
        int sp = w.axes();
        long[] pads = new long[2 * sp];
        for (int i = 0; i < sp; i++) {
            long end = w.out()[i] - w.in()[i] + w.extent(i) - 1 - w.begin()[i];
            pads[i] = w.extent(i) - 1 - w.begin()[i];
            pads[sp + i] = w.extent(i) - 1 - end;
            if (pads[i] < 0 || pads[sp + i] < 0) {
                return null;
            }
        }
        return pads;
    }

    /**
     * The input gradient of a strided convolution with few input channels (a network's first
     * layer), where ConvTranspose is slow: each stride-phase of the input grid is a stride-1
     * convolution of the output gradient with that phase's kernel taps, flipped. All phases run
     * as one convolution with s*s*C output channels; DepthToSpace interleaves them.
     */
    private static String stridedConvByPhases(Backward b, String dy, Tensor weights, ConvWindow w, long[] xs) {
        long[] ws = weights.shape();
        int o = (int) ws[0];
        int c = (int) ws[1];
        int kh = (int) ws[2];
        int kw = (int) ws[3];
        int s = (int) w.stride()[0];
        int mh = (kh + s - 1) / s;
        int mw = (kw + s - 1) / s;
        float[] src = weights.floats();
        float[] dst = new float[s * s * c * o * mh * mw];
        for (int a = 0; a < kh; a++) {
            for (int kx = 0; kx < kw; kx++) {
                int phase = (a % s) * s + kx % s;
                int row = mh - 1 - a / s;
                int col = mw - 1 - kx / s;
                for (int ci = 0; ci < c; ci++) {
                    for (int oi = 0; oi < o; oi++) {
                        dst[(((phase * c + ci) * o + oi) * mh + row) * mw + col] = src[((oi * c + ci) * kh + a) * kw + kx];
                    }
                }
            }
        }
        long qh = Math.max(w.out()[0], (w.begin()[0] + xs[2] + s - 1) / s);
        long qw = Math.max(w.out()[1], (w.begin()[1] + xs[3] + s - 1) / s);
        String phases = b.op("Conv", List.of(dy, b.constant(Tensor.ofFloats(new long[] {(long) s * s * c, o, mh, mw}, dst))),
                Attribute.of("kernel_shape", new long[] {mh, mw}), Attribute.of("pads", new long[] {mh - 1, mw - 1, qh - w.out()[0], qw - w.out()[1]}));
        String grid = b.op("DepthToSpace", List.of(phases), Attribute.of("blocksize", (long) s), Attribute.of("mode", "DCR"));
        return b.op("Slice", List.of(grid, b.constant(Tensor.vector(w.begin()[0], w.begin()[1])),
                b.constant(Tensor.vector(w.begin()[0] + xs[2], w.begin()[1] + xs[3])), b.constant(Tensor.vector(2, 3))));
    }

    /** [Cout, Cin/g, k...] to [Cin, Cout/g, k...] with every spatial axis reversed, per group. */
    static Tensor flipKernel(Tensor w, int group) {
        long[] s = w.shape();
        int cout = (int) s[0];
        int cinG = (int) s[1];
        int coutG = cout / group;
        int k = (int) Tensor.elements(Arrays.copyOfRange(s, 2, s.length));
        float[] src = w.floats();
        float[] dst = new float[src.length];
        for (int gi = 0; gi < group; gi++) {
            for (int o = 0; o < coutG; o++) {
                for (int i = 0; i < cinG; i++) {
                    int from = ((gi * coutG + o) * cinG + i) * k;
                    int to = ((gi * cinG + i) * coutG + o) * k;
                    for (int j = 0; j < k; j++) {
                        dst[to + j] = src[from + k - 1 - j];
                    }
                }
            }
        }
        long[] t = s.clone();
        t[0] = (long) cinG * group;
        t[1] = coutG;
        return Tensor.ofFloats(t, dst);
    }
}
