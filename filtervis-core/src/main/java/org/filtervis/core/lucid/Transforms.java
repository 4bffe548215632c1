package org.filtervis.core.lucid;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.filtervis.api.FiltervisException;

/**
 * The random transformations applied to the image before every step, so the optimum must survive
 * small shifts, scalings and rotations (Olah et al. 2017). Lucent's {@code standard_transforms}:
 * pad 12 (colour 0.5), jitter 8 (a shift by 0..7 pixels down and right, zeros coming in), a scale
 * from {1 + (i - 5) / 50 : i = 0..10} (bilinear, corners aligned; a smaller image padded back with
 * zeros), a rotation by a whole number of degrees from -10..10 (0 five more times), jitter 4. Then
 * the image is resized to the network's input size. Fresh draws every step, from the run's seed,
 * the filter and the step, so batching changes nothing. The steps are composed into one bilinear
 * resampling ({@link #draw}), or, as Lucent does, resampled one after the other
 * ({@link #sequential}).
 */
public final class Transforms implements java.io.Serializable {
    /** One kind of transformation and its parameter or choices. */
    record Step(String kind, int amount, double[] choices) implements java.io.Serializable {
        @Override
        public String toString() {
            return switch (kind) {
                case "pad", "jitter" -> kind + "(" + amount + ")";
                default -> kind + "(" + fmt(choices[0]) + ":" + fmt(Arrays.stream(choices).max().orElseThrow()) + ")";
            };
        }
    }

    private final List<Step> steps;
    private final String name;
    private final boolean sequential;

    private Transforms(List<Step> steps, String name) {
        this(steps, name, false);
    }

    private Transforms(List<Step> steps, String name, boolean sequential) {
        this.steps = List.copyOf(steps);
        this.name = name;
        this.sequential = sequential;
    }

    /**
     * The same transformations, each resampled in turn (Lucent's way: one bilinear interpolation
     * per scale, rotation and resize) when {@code sequential}, else composed into one.
     */
    public Transforms sequential(boolean sequential) {
        return new Transforms(steps, name, sequential);
    }

    public static final Transforms NONE = new Transforms(List.of(), "none");

    /** Lucent's standard transformations. */
    public static Transforms standard() {
        double[] scales = new double[11];
        for (int i = 0; i < 11; i++) {
            scales[i] = 1 + (i - 5) / 50.0;
        }
        double[] angles = new double[21 + 5];
        for (int i = 0; i < 21; i++) {
            angles[i] = i - 10;
        }
        return new Transforms(List.of(new Step("pad", 12, null), new Step("jitter", 8, null), new Step("scale", 0, scales),
                new Step("rotate", 0, angles), new Step("jitter", 4, null)), "standard");
    }

    private static final Pattern STEP = Pattern.compile("\\s*(pad|jitter|scale|rotate)\\(\\s*([-0-9.]+)\\s*(?::\\s*([-0-9.]+)\\s*)?\\)\\s*");

    /**
     * {@code standard}, {@code none}, or a list such as {@code pad(12),jitter(8),scale(0.9:1.1),rotate(-10:10)}:
     * pad(N) and jitter(N) take pixels, scale(A:B) draws from 11 evenly spaced factors, rotate(A:B)
     * from the whole degrees A..B.
     */
    public static Transforms parse(String spec) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        if (s.equals("standard")) {
            return standard();
        }
        if (s.equals("none")) {
            return NONE;
        }
        List<Step> out = new ArrayList<>();
        for (String part : s.split(",(?![^(]*\\))")) {
            Matcher m = STEP.matcher(part);
            if (!m.matches()) {
                throw FiltervisException.usage("--transforms: '" + part.strip() + "' is not pad(N), jitter(N), scale(A:B) or rotate(A:B);"
                        + " or use standard or none");
            }
            String kind = m.group(1);
            try {
                double a = Double.parseDouble(m.group(2));
                double b = m.group(3) == null ? a : Double.parseDouble(m.group(3));
                out.add(step(kind, a, b, m.group(3) != null, part.strip()));
            } catch (NumberFormatException e) {
                throw FiltervisException.usage("--transforms: '" + part.strip() + "' has a number filtervis cannot read");
            }
        }
        return new Transforms(out, null);
    }

    private static Step step(String kind, double a, double b, boolean range, String text) {
        switch (kind) {
            case "pad", "jitter" -> {
                if (range || a != Math.rint(a) || a < (kind.equals("pad") ? 0 : 1) || a > 256) {
                    throw FiltervisException.usage("--transforms: " + text + " needs a whole number of pixels from " + (kind.equals("pad") ? 0 : 1)
                            + " to 256");
                }
                return new Step(kind, (int) a, null);
            }
            case "scale" -> {
                if (!(a > 0.1 && b >= a && b < 10)) {
                    throw FiltervisException.usage("--transforms: " + text + " needs factors A <= B between 0.1 and 10");
                }
                double[] c = new double[11];
                for (int i = 0; i < 11; i++) {
                    c[i] = a + (b - a) * i / 10;
                }
                return new Step(kind, 0, c);
            }
            default -> {
                if (a != Math.rint(a) || b != Math.rint(b) || b < a || a < -180 || b > 180) {
                    throw FiltervisException.usage("--transforms: " + text + " needs whole degrees A <= B from -180 to 180");
                }
                double[] c = new double[(int) (b - a) + 1];
                for (int i = 0; i < c.length; i++) {
                    c[i] = a + i;
                }
                return new Step(kind, 0, c);
            }
        }
    }

    /** As written in the run record. */
    public String describe() {
        return (name != null ? name + (steps.isEmpty() ? "" : " " + steps) : steps.toString()) + (sequential ? ", resampled in turn" : "");
    }

    /** One transformation's geometry: its input and output sizes, where an output point comes from, and the fill outside its input. */
    private record Geometry(int inH, int inW, int outH, int outW, double fill, double[] affine) {
        /** Maps (y, x) of the output to the input: y' = a0 y + a1 x + a2, x' = a3 y + a4 x + a5. */
        double y(double y, double x) {
            return affine[0] * y + affine[1] * x + affine[2];
        }

        double x(double y, double x) {
            return affine[3] * y + affine[4] * x + affine[5];
        }

    }

    private static Geometry shift(int h, int w, int outH, int outW, double dy, double dx, double fill) {
        return new Geometry(h, w, outH, outW, fill, new double[] {1, 0, -dy, 0, 1, -dx});
    }

    /**
     * One image's step, drawn: the transformations from the optimized image (h x w) to the
     * network's input (netH x netW), composed into one resampling. Each output point is followed
     * back through the transformations to the image and sampled once, bilinearly; where it leaves
     * a transformation's input on the way it takes that transformation's fill (0.5 in a pad, 0
     * where jitter, scale or rotation brought in new pixels). One interpolation instead of one per
     * transformation: sharper, and several times cheaper than resampling in turn.
     */
    List<Resample> draw(int h, int w, int netH, int netW, SplittableRandom random) {
        return draw(h, w, netH, netW, random, null);
    }

    /** As {@link #draw(int, int, int, int, SplittableRandom)}, filling {@code reuse}'s arrays where the sizes match. */
    List<Resample> draw(int h, int w, int netH, int netW, SplittableRandom random, Resample reuse) {
        List<Geometry> chain = new ArrayList<>();
        int ch = h;
        int cw = w;
        for (Step s : steps) {
            switch (s.kind()) {
                case "pad" -> chain.add(shift(ch, cw, ch + 2 * s.amount(), cw + 2 * s.amount(), s.amount(), s.amount(), 0.5));
                case "jitter" -> chain.add(shift(ch, cw, ch, cw, random.nextInt(s.amount()), random.nextInt(s.amount()), 0));
                case "rotate" -> {
                    double a = Math.toRadians(s.choices()[random.nextInt(s.choices().length)]);
                    double cy = (ch - 1) / 2.0;
                    double cx = (cw - 1) / 2.0;
                    double cos = Math.cos(a);
                    double sin = Math.sin(a);
                    chain.add(new Geometry(ch, cw, ch, cw, 0, new double[] {cos, sin, cy - cos * cy - sin * cx, -sin, cos, cx + sin * cy - cos * cx}));
                }
                default -> {
                    double f = s.choices()[random.nextInt(s.choices().length)];
                    int sh = (int) Math.ceil(f * ch);
                    int sw = (int) Math.ceil(f * cw);
                    chain.add(resize(ch, cw, sh, sw));
                    int py = Math.max(0, (int) Math.ceil((ch - sh) / 2.0));
                    int px = Math.max(0, (int) Math.ceil((cw - sw) / 2.0));
                    if (py > 0 || px > 0) {
                        chain.add(shift(sh, sw, sh + 2 * py, sw + 2 * px, py, px, 0));
                    }
                }
            }
            Geometry last = chain.get(chain.size() - 1);
            ch = last.outH();
            cw = last.outW();
        }
        if (ch != netH || cw != netW) {
            chain.add(resize(ch, cw, netH, netW));
        }
        if (chain.isEmpty()) {
            return List.of();
        }
        if (sequential) {
            List<Resample> out = new ArrayList<>();
            for (Geometry g : chain) {
                out.add(new Resample(g.inH(), g.inW(), g.outH(), g.outW(), g.fill(), (y, x, yx) -> {
                    yx[0] = g.y(y, x);
                    yx[1] = g.x(y, x);
                }));
            }
            return out;
        }
        // maps[k]: network-input coordinates to the input of transformation k, composed once.
        int m = chain.size();
        double[][] maps = new double[m][];
        double[] acc = {1, 0, 0, 0, 1, 0};
        for (int k = m - 1; k >= 0; k--) {
            double[] g = chain.get(k).affine();
            acc = new double[] {g[0] * acc[0] + g[1] * acc[3], g[0] * acc[1] + g[1] * acc[4], g[0] * acc[2] + g[1] * acc[5] + g[2],
                g[3] * acc[0] + g[4] * acc[3], g[3] * acc[1] + g[4] * acc[4], g[3] * acc[2] + g[4] * acc[5] + g[5]};
            maps[k] = acc;
        }
        int[][] sizes = new int[m][];
        double[] fills = new double[m];
        for (int k = 0; k < m; k++) {
            sizes[k] = new int[] {chain.get(k).inH(), chain.get(k).inW()};
            fills[k] = chain.get(k).fill();
        }
        return List.of(Resample.composite(h, w, netH, netW, maps, sizes, fills, reuse));
    }

    /** Bilinear resize with corners aligned (PyTorch's align_corners=True). */
    private static Geometry resize(int h, int w, int outH, int outW) {
        double ry = outH > 1 ? (h - 1) / (double) (outH - 1) : 0;
        double rx = outW > 1 ? (w - 1) / (double) (outW - 1) : 0;
        return new Geometry(h, w, outH, outW, 0, new double[] {ry, 0, 0, 0, rx, 0});
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
