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
        this(inH, inW, outH, outW);
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
                sample(o, sy, sx);
            }
        }
    }

    /**
     * The composite of affine steps, built without a call per pixel: {@code maps[k]} takes an
     * output point to step k's input (y' = a0 y + a1 x + a2, x' = a3 y + a4 x + a5), whose size
     * is {@code sizes[k] = {h, w}}; a point outside a step's input takes that step's fill, and
     * step 0's input is the image.
     */
    static Resample composite(int inH, int inW, int outH, int outW, double[][] maps, int[][] sizes, double[] fills, Resample reuse) {
        Resample r = reuse != null && reuse.inH == inH && reuse.inW == inW && reuse.outH == outH && reuse.outW == outW ? reuse
                : new Resample(inH, inW, outH, outW);
        int m = maps.length;
        double[] rowY = new double[m];
        double[] rowX = new double[m];
        double[] dxY = new double[m];
        double[] dxX = new double[m];
        double[] maxY = new double[m];
        double[] maxX = new double[m];
        for (int k = 0; k < m; k++) {
            dxY[k] = maps[k][1];
            dxX[k] = maps[k][4];
            maxY[k] = sizes[k][0] - 1 + 1e-9;
            maxX[k] = sizes[k][1] - 1 + 1e-9;
        }
        double[] lo = new double[m];
        double[] hi = new double[m];
        for (int y = 0; y < outH; y++) {
            // Along a row every step's source is affine in x, so the x inside each step's input form an interval.
            for (int k = 0; k < m; k++) {
                rowY[k] = maps[k][0] * y + maps[k][2];
                rowX[k] = maps[k][3] * y + maps[k][5];
                double a = -1;
                double b = outW;
                double[] ends = interval(rowY[k], dxY[k], maxY[k], a, b);
                ends = interval(rowX[k], dxX[k], maxX[k], ends[0], ends[1]);
                lo[k] = ends[0];
                hi[k] = ends[1];
            }
            for (int x = 0; x < outW; x++) {
                int o = y * outW + x;
                int k = m - 1;
                while (k >= 0 && x >= lo[k] && x <= hi[k]) {
                    k--;
                }
                if (k >= 0) {
                    r.base[o] = -1;
                    r.fill[o] = (float) fills[k];
                } else {
                    r.sample(o, rowY[0] + dxY[0] * x, rowX[0] + dxX[0] * x);
                }
            }
        }
        return r;
    }

    /**
     * The x in [a, b] where -1e-9 <= c + d x <= max, as {lo, hi} (empty: lo > hi). The bounds are
     * widened by a hair and the caller tests each x against them, so rounding cannot move a pixel
     * in or out differently from the per-pixel test it replaces by more than 1e-9.
     */
    private static double[] interval(double c, double d, double max, double a, double b) {
        if (d == 0) {
            return c >= -1e-9 && c <= max ? new double[] {a, b} : new double[] {1, 0};
        }
        double x1 = (-1e-9 - c) / d;
        double x2 = (max - c) / d;
        double lo = Math.min(x1, x2);
        double hi = Math.max(x1, x2);
        return new double[] {Math.max(a, lo - 1e-12), Math.min(b, hi + 1e-12)};
    }

    private Resample(int inH, int inW, int outH, int outW) {
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        int n = outH * outW;
        base = new int[n];
        fy = new float[n];
        fx = new float[n];
        fill = new float[n];
    }

    /** Output o samples the input at (sy, sx), which lies inside it. */
    private void sample(int o, double sy, double sx) {
        int y0 = Math.min(Math.max((int) Math.floor(sy), 0), inH - 1);
        int x0 = Math.min(Math.max((int) Math.floor(sx), 0), inW - 1);
        base[o] = y0 * inW + x0;
        fy[o] = y0 + 1 < inH ? (float) Math.max(0, sy - y0) : 0;
        fx[o] = x0 + 1 < inW ? (float) Math.max(0, sx - x0) : 0;
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
