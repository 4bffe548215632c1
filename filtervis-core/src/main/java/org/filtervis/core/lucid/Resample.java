package org.filtervis.core.lucid;

/**
 * A geometric resampling, the same for every channel: each output pixel is either a bilinear
 * sample of the input at a source point inside it, or a constant fill (0.5 in Lucid's pad, 0
 * where a shift, scale or rotation brought in new pixels). Linear in the image plus a constant,
 * so its gradient is exactly its transpose ({@link #adjoint}).
 */
final class Resample {
    final int inH;
    final int inW;
    final int outH;
    final int outW;
    /** Per output pixel: the top-left input index, or -1 for a fill. */
    private final int[] base;
    /** Fractions towards the next row and column (0 on the last row or column). */
    private final float[] fy;
    private final float[] fx;
    /** The fill of pixels whose base is -1. */
    private final float[] fill;

    /**
     * Where output (y, x) comes from: {@code yx[0], yx[1]} in the input, or, for a fill,
     * {@code yx[2]} its value (the source leaves NaN there otherwise). Points outside the input
     * become {@code outside}.
     */
    interface Source {
        void at(int y, int x, double[] yx);
    }

    Resample(int inH, int inW, int outH, int outW, double outside, Source source) {
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        int n = outH * outW;
        base = new int[n];
        fy = new float[n];
        fx = new float[n];
        fill = new float[n];
        double[] yx = new double[3];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int o = y * outW + x;
                yx[2] = Double.NaN;
                source.at(y, x, yx);
                double sy = yx[0];
                double sx = yx[1];
                if (!Double.isNaN(yx[2]) || !(sy >= -1e-9 && sy <= inH - 1 + 1e-9 && sx >= -1e-9 && sx <= inW - 1 + 1e-9)) {
                    base[o] = -1;
                    fill[o] = (float) (Double.isNaN(yx[2]) ? outside : yx[2]);
                    continue;
                }
                int y0 = Math.min(Math.max((int) Math.floor(sy), 0), inH - 1);
                int x0 = Math.min(Math.max((int) Math.floor(sx), 0), inW - 1);
                base[o] = y0 * inW + x0;
                fy[o] = y0 + 1 < inH ? (float) Math.max(0, sy - y0) : 0;
                fx[o] = x0 + 1 < inW ? (float) Math.max(0, sx - x0) : 0;
            }
        }
    }

    /** One channel plane: {@code out[oOff...]} from {@code in[iOff...]}. */
    void forward(float[] in, int iOff, float[] out, int oOff) {
        for (int o = 0; o < base.length; o++) {
            int b = base[o];
            if (b < 0) {
                out[oOff + o] = fill[o];
                continue;
            }
            float a = fy[o];
            float c = fx[o];
            int i = iOff + b;
            float top = in[i] + c * ((c != 0 ? in[i + 1] : 0) - in[i]);
            if (a == 0) {
                out[oOff + o] = top;
                continue;
            }
            int j = i + inW;
            float bottom = in[j] + c * ((c != 0 ? in[j + 1] : 0) - in[j]);
            out[oOff + o] = top + a * (bottom - top);
        }
    }

    /** The transpose on one channel plane: {@code dIn[iOff...] += A^T dOut[oOff...]}. */
    void adjoint(float[] dOut, int oOff, float[] dIn, int iOff) {
        for (int o = 0; o < base.length; o++) {
            int b = base[o];
            float g = dOut[oOff + o];
            if (b < 0 || g == 0) {
                continue;
            }
            float a = fy[o];
            float c = fx[o];
            int i = iOff + b;
            float top = g * (1 - a);
            dIn[i] += top * (1 - c);
            if (c != 0) {
                dIn[i + 1] += top * c;
            }
            if (a != 0) {
                float bottom = g * a;
                dIn[i + inW] += bottom * (1 - c);
                if (c != 0) {
                    dIn[i + inW + 1] += bottom * c;
                }
            }
        }
    }

    /** Pads {@code p} pixels on every side with {@code fill}. */
    static Resample pad(int h, int w, int p, double fill) {
        return new Resample(h, w, h + 2 * p, w + 2 * p, fill, (y, x, yx) -> {
            yx[0] = y - p;
            yx[1] = x - p;
        });
    }

    /** Moves the image by (dy, dx) whole pixels, zeros coming in (kornia's translate). */
    static Resample translate(int h, int w, int dy, int dx) {
        return new Resample(h, w, h, w, 0, (y, x, yx) -> {
            yx[0] = y - dy;
            yx[1] = x - dx;
        });
    }

    /** Bilinear resize to outH x outW with corners aligned (PyTorch's align_corners=True). */
    static Resample resize(int h, int w, int outH, int outW) {
        double ry = outH > 1 ? (h - 1) / (double) (outH - 1) : 0;
        double rx = outW > 1 ? (w - 1) / (double) (outW - 1) : 0;
        return new Resample(h, w, outH, outW, 0, (y, x, yx) -> {
            yx[0] = y * ry;
            yx[1] = x * rx;
        });
    }

    /** Rotation by {@code degrees} about the image centre ((w - 1) / 2, (h - 1) / 2), zeros coming in. */
    static Resample rotate(int h, int w, double degrees) {
        double a = Math.toRadians(degrees);
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        double cy = (h - 1) / 2.0;
        double cx = (w - 1) / 2.0;
        return new Resample(h, w, h, w, 0, (y, x, yx) -> {
            double dy = y - cy;
            double dx = x - cx;
            yx[0] = cy + sin * dx + cos * dy;
            yx[1] = cx + cos * dx - sin * dy;
        });
    }
}
