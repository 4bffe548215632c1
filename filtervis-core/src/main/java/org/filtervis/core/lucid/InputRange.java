package org.filtervis.core.lucid;

import java.util.Arrays;
import java.util.Locale;
import org.filtervis.api.FiltervisException;

/**
 * What a model expects its pixels to be: colours in [0, 1] mapped to [lo, hi], then per channel
 * (v - mean) / std. torchvision: 0..1 with ImageNet's mean and std; Keras InceptionV3 and
 * MobileNetV2: -1..1; Caffe-style: 0..255 less a mean.
 */
public record InputRange(double lo, double hi, double[] mean, double[] std) implements java.io.Serializable {
    public InputRange {
        if (!(hi > lo) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw FiltervisException.usage("input range " + lo + ":" + hi + " is empty; give LO:HI with LO < HI, e.g. 0:1 or -1:1");
        }
        for (double s : std) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw FiltervisException.usage("std " + Arrays.toString(std) + " has a value that is not a finite positive number");
            }
        }
        for (double m : mean) {
            if (!Double.isFinite(m)) {
                throw FiltervisException.usage("mean " + Arrays.toString(mean) + " has a value that is not a finite number");
            }
        }
        // float32 inputs far beyond any model's range overflow to infinity in the first layers: refused, not run.
        for (int c = 0; c < Math.max(1, Math.max(mean.length, std.length)); c++) {
            double m = mean.length == 0 ? 0 : mean[Math.min(c, mean.length - 1)];
            double sd = std.length == 0 ? 1 : std[Math.min(c, std.length - 1)];
            double largest = Math.max(Math.abs(lo - m), Math.abs(hi - m)) / sd;
            if (!(largest <= MAX_INPUT)) {
                throw FiltervisException.usage("input range " + fmt(lo) + ":" + fmt(hi) + (mean.length > 0 ? ", mean " + Arrays.toString(mean) : "")
                        + (std.length > 0 ? ", std " + Arrays.toString(std) : "") + " makes inputs as large as " + (float) largest
                        + "; give a range, mean and std whose inputs stay within " + (long) MAX_INPUT);
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The largest input value a preprocessing may make: far beyond any model's, far below float32's overflow. */
    static final double MAX_INPUT = 1e6;

    /** Pixels in [0, 1], as they are. */
    public static final InputRange UNIT = new InputRange(0, 1, new double[0], new double[0]);

    /** A named preset: {@code torchvision}, {@code keras-inception}, {@code caffe} (RGB, 0..255 less ImageNet's mean), {@code none}. */
    public static InputRange preset(String name) {
        return switch (name) {
            case "torchvision" -> new InputRange(0, 1, new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225});
            case "keras-inception" -> new InputRange(-1, 1, new double[0], new double[0]);
            case "caffe" -> new InputRange(0, 255, new double[] {123.68, 116.779, 103.939}, new double[0]);
            case "none" -> UNIT;
            default -> throw FiltervisException.usage("unknown preprocessing '" + name + "'; use torchvision, keras-inception, caffe or none");
        };
    }

    /** {@code LO:HI}, as {@code --input-range} takes it. */
    public static InputRange parse(String range, double[] mean, double[] std) {
        String[] parts = range.split(":");
        try {
            if (parts.length == 2) {
                return new InputRange(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), mean == null ? new double[0] : mean,
                        std == null ? new double[0] : std);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw FiltervisException.usage("input range " + range + " is not LO:HI; use e.g. 0:1, -1:1 or 0:255");
    }

    /**
     * What the options say: {@code --preprocess}, or {@code --input-range} with {@code --mean}
     * and {@code --std}, or else the model's own ({@code declared}), or else 0:1.
     */
    public static InputRange choose(String preprocess, String range, double[] mean, double[] std, java.util.Optional<InputRange> declared) {
        if (preprocess != null) {
            if (range != null || mean != null || std != null) {
                throw FiltervisException.usage("give --preprocess or --input-range/--mean/--std, not both");
            }
            return preset(preprocess);
        }
        if (range != null || mean != null || std != null) {
            return parse(range == null ? "0:1" : range, mean, std);
        }
        return declared.orElse(UNIT);
    }

    /** Checks that mean and std have one value per channel (or none). */
    public InputRange forChannels(int channels) {
        if (mean.length != 0 && mean.length != channels || std.length != 0 && std.length != channels) {
            throw FiltervisException.usage("the mean and std need " + channels + " values each for this model (one per channel); got "
                    + mean.length + " and " + std.length);
        }
        return this;
    }

    /** The factor and offset of channel c: model value = a * colour + b. */
    double scale(int c) {
        return (hi - lo) / (std.length == 0 ? 1 : std[c]);
    }

    double offset(int c) {
        return (lo - (mean.length == 0 ? 0 : mean[c])) / (std.length == 0 ? 1 : std[c]);
    }

    /** In place, one CHW image of {@code pixels} per channel at {@code off}. */
    public void apply(float[] x, int off, int channels, int pixels) {
        for (int c = 0; c < channels; c++) {
            double a = scale(c);
            double b = offset(c);
            for (int p = off + c * pixels; p < off + (c + 1) * pixels; p++) {
                x[p] = (float) (a * x[p] + b);
            }
        }
    }

    /** The gradient through {@link #apply}, in place. */
    public void adjoint(float[] g, int off, int channels, int pixels) {
        for (int c = 0; c < channels; c++) {
            double a = scale(c);
            for (int p = off + c * pixels; p < off + (c + 1) * pixels; p++) {
                g[p] = (float) (a * g[p]);
            }
        }
    }

    /** As the run record says it, e.g. {@code 0:1, mean [0.485, 0.456, 0.406], std [...]}. */
    public String describe() {
        String s = fmt(lo) + ":" + fmt(hi);
        if (mean.length > 0) {
            s += ", mean " + Arrays.toString(mean);
        }
        if (std.length > 0) {
            s += ", std " + Arrays.toString(std);
        }
        return s;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
