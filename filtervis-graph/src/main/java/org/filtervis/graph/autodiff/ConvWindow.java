package org.filtervis.graph.autodiff;

import java.util.Arrays;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.Node;

/**
 * The window geometry of a Conv or pooling node for the size at hand, per spatial axis: begin
 * pad, end pad, kernel size, stride, dilation, input and output size.
 */
public record ConvWindow(long[] begin, long[] end, long[] kernel, long[] stride, long[] dilation, long[] in, long[] out) {
    public int axes() {
        return in.length;
    }

    /** The extent of the dilated kernel along axis {@code i}. */
    public long extent(int i) {
        return dilation[i] * (kernel[i] - 1) + 1;
    }

    static ConvWindow of(Backward b, Node n, long[] kernel) {
        long[] xs = b.shape(n.input(0));
        long[] ys = b.shape(n.output(0));
        int sp = xs.length - 2;
        long[] in = Arrays.copyOfRange(xs, 2, xs.length);
        long[] out = Arrays.copyOfRange(ys, 2, ys.length);
        long[] stride = n.attr("strides", Backward.filled(sp, 1));
        long[] dilation = n.attr("dilations", Backward.filled(sp, 1));
        long[] begin = new long[sp];
        long[] end = new long[sp];
        String autoPad = n.attr("auto_pad", "NOTSET");
        for (int i = 0; i < sp; i++) {
            long extent = dilation[i] * (kernel[i] - 1) + 1;
            long total = Math.max(0, (out[i] - 1) * stride[i] + extent - in[i]);
            switch (autoPad) {
                case "SAME_UPPER" -> { begin[i] = total / 2; end[i] = total - begin[i]; }
                case "SAME_LOWER" -> { end[i] = total / 2; begin[i] = total - end[i]; }
                case "VALID" -> { }
                default -> {
                    long[] pads = n.attr("pads", new long[2 * sp]);
                    begin[i] = pads[i];
                    end[i] = pads[sp + i];
                }
            }
        }
        return new ConvWindow(begin, end, kernel, stride, dilation, in, out);
    }

    /**
     * Transposed-convolution attributes that map a gradient of the output size back onto exactly
     * the input size: the end pad absorbs windows that overhang, output_padding adds rows no
     * window touched.
     */
    public Attribute[] transposeAttributes(long group) {
        int sp = axes();
        long[] pads = new long[2 * sp];
        long[] outputPadding = new long[sp];
        for (int i = 0; i < sp; i++) {
            long full = (out[i] - 1) * stride[i] + extent(i) - begin[i];
            long endPad = full - in[i];
            pads[i] = begin[i];
            if (endPad >= 0) {
                pads[sp + i] = endPad;
            } else {
                outputPadding[i] = -endPad;
            }
        }
        return new Attribute[] {Attribute.of("strides", stride), Attribute.of("dilations", dilation), Attribute.of("pads", pads),
            Attribute.of("output_padding", outputPadding), Attribute.of("group", group), Attribute.of("kernel_shape", kernel)};
    }
}
