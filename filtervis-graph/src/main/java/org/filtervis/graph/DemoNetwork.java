package org.filtervis.graph;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The embedded demo network, generated deterministically (no download). Its first layer is a
 * bank of 8 oriented Gabor filters (0 to 157.5 degrees in 22.5 degree steps, the same on every
 * colour channel) and 4 colour-opponent filters (red-green, green-red, blue-yellow,
 * yellow-blue), so what each filter responds to is known in advance; deeper layers have seeded
 * random weights. Input: NCHW float RGB of any size.
 */
public final class DemoNetwork {
    public static final int ORIENTATIONS = 8;
    /** Channel weights (R, G, B) of the colour-opponent filters, in filter order after the Gabors. */
    public static final float[][] OPPONENTS = {{1, -1, 0}, {-1, 1, 0}, {-0.5f, -0.5f, 1}, {0.5f, 0.5f, -1}};
    public static final String FIRST_LAYER = "gabor_relu";
    static final int KERNEL = 11;

    private DemoNetwork() {}

    /** Orientation in degrees of Gabor filter {@code i}: the direction along which its stripes vary. */
    public static double orientation(int i) {
        return i * 180.0 / ORIENTATIONS;
    }

    public static OnnxModel build() {
        GraphBuilder b = new GraphBuilder("filtervis-demo", 17);
        String x = b.input("image", "N", 3L, "H", "W");
        int first = ORIENTATIONS + OPPONENTS.length;
        x = b.node("Conv", "gabor", List.of(x, b.weight("gabor.weight", firstLayer()), b.weight("gabor.bias", zeros(first))),
                Attribute.of("kernel_shape", new long[] {KERNEL, KERNEL}), Attribute.of("pads", new long[] {5, 5, 5, 5}));
        x = b.node("Relu", FIRST_LAYER, List.of(x));
        x = b.node("MaxPool", "pool1", List.of(x), Attribute.of("kernel_shape", new long[] {2, 2}), Attribute.of("strides", new long[] {2, 2}));
        SplittableRandom random = new SplittableRandom(20261127L);
        x = conv(b, "conv2", x, first, 24, random);
        x = b.node("Relu", "conv2_relu", List.of(x));
        x = b.node("MaxPool", "pool2", List.of(x), Attribute.of("kernel_shape", new long[] {2, 2}), Attribute.of("strides", new long[] {2, 2}));
        x = conv(b, "conv3", x, 24, 32, random);
        x = b.node("Relu", "conv3_relu", List.of(x));
        x = b.node("GlobalAveragePool", "pool3", List.of(x));
        x = b.node("Flatten", "flatten", List.of(x));
        float[] fc = gaussian(random, 10 * 32, Math.sqrt(1.0 / 32));
        x = b.node("Gemm", "logits", List.of(x, b.weight("logits.weight", Tensor.ofFloats(new long[] {10, 32}, fc)), b.weight("logits.bias", zeros(10))),
                Attribute.of("transB", 1L));
        return b.output(x);
    }

    private static String conv(GraphBuilder b, String name, String x, int in, int out, SplittableRandom random) {
        float[] w = gaussian(random, out * in * 9, Math.sqrt(2.0 / (in * 9)));
        float[] bias = gaussian(random, out, 0.01);
        return b.node("Conv", name, List.of(x, b.weight(name + ".weight", Tensor.ofFloats(new long[] {out, in, 3, 3}, w)),
                b.weight(name + ".bias", Tensor.ofFloats(new long[] {out}, bias))),
                Attribute.of("kernel_shape", new long[] {3, 3}), Attribute.of("pads", new long[] {1, 1, 1, 1}));
    }

    /** [12, 3, 11, 11]: unit-norm kernels. */
    static Tensor firstLayer() {
        int n = ORIENTATIONS + OPPONENTS.length;
        int k = KERNEL;
        int c = k / 2;
        float[] w = new float[n * 3 * k * k];
        for (int f = 0; f < n; f++) {
            double[] plane = new double[k * k];
            double theta = Math.toRadians(f < ORIENTATIONS ? orientation(f) : 0);
            for (int y = 0; y < k; y++) {
                for (int x = 0; x < k; x++) {
                    double dx = x - c;
                    double dy = y - c;
                    double along = dx * Math.cos(theta) + dy * Math.sin(theta);
                    double r2 = dx * dx + dy * dy;
                    plane[y * k + x] = f < ORIENTATIONS
                            ? Math.exp(-r2 / (2 * 2.5 * 2.5)) * Math.cos(2 * Math.PI * along / 5.0)
                            : Math.exp(-r2 / (2 * 3.0 * 3.0));
                }
            }
            if (f < ORIENTATIONS) {
                double mean = Arrays.stream(plane).average().orElse(0);
                for (int i = 0; i < plane.length; i++) {
                    plane[i] -= mean;
                }
            }
            float[] colour = f < ORIENTATIONS ? new float[] {1, 1, 1} : OPPONENTS[f - ORIENTATIONS];
            double norm = 0;
            for (int ch = 0; ch < 3; ch++) {
                for (double v : plane) {
                    norm += v * v * colour[ch] * colour[ch];
                }
            }
            norm = Math.sqrt(norm);
            for (int ch = 0; ch < 3; ch++) {
                for (int i = 0; i < k * k; i++) {
                    w[((f * 3 + ch) * k * k) + i] = (float) (plane[i] * colour[ch] / norm);
                }
            }
        }
        return Tensor.ofFloats(new long[] {n, 3, k, k}, w);
    }

    private static Tensor zeros(int n) {
        return Tensor.ofFloats(new long[] {n}, new float[n]);
    }

    private static float[] gaussian(SplittableRandom random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller from the seeded stream, so the weights are the same on every JVM.
            double u1 = 1 - random.nextDouble();
            double u2 = random.nextDouble();
            v[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }
}
