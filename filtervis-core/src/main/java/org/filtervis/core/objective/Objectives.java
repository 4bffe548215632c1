package org.filtervis.core.objective;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.api.Objective;

/**
 * Every objective's value and its gradient, implemented once, for every backend: from the
 * activations a {@link org.filtervis.api.Differentiator} returns, the value per image and the seed
 * (d value / d activation) handed back to it; image terms (l1, l2, tv) straight on the image.
 * Activations are NCHW-like: one image's activation is [C, spatial...] in C order.
 */
public final class Objectives {
    private Objectives() {}

    /** The layers an objective reads, in the order first named. */
    public static Set<String> layers(Objective o) {
        Set<String> out = new LinkedHashSet<>();
        collect(o, out);
        return out;
    }

    private static void collect(Objective o, Set<String> out) {
        if (o instanceof Objective.Sum s) {
            s.terms().forEach(t -> collect(t.objective(), out));
        } else if (o instanceof Objective.ChannelInterpolate ci) {
            out.add(ci.layer1());
            out.add(ci.layer2());
        } else {
            String layer = layerOf(o);
            if (layer != null) {
                out.add(layer);
            }
        }
    }

    /** The layer a single term reads, or null for image terms. */
    static String layerOf(Objective o) {
        return o instanceof Objective.OfLayer l ? l.layer() : null;
    }

    /**
     * A batch being evaluated: {@code n} images, their filters (for channel arguments left to the
     * image), the activations and one image's shape of each tensor.
     */
    public record Batch(int n, int[] filters, float[] images, InputSpec input, Map<String, float[]> activations, Map<String, long[]> shapes) {}

    /**
     * Whether the objective is linear in the activations (channel, neuron, logit, direction and
     * weighted sums of them, image terms allowed): its seeds then do not depend on the activations,
     * so they can go to the backend with the images, in one call.
     */
    public static boolean linearInActivations(Objective o) {
        if (o instanceof Objective.Sum s) {
            return s.terms().stream().allMatch(t -> linearInActivations(t.objective()));
        }
        return o instanceof Objective.Channel || o instanceof Objective.Neuron || o instanceof Objective.Logit || o instanceof Objective.Direction
                || o instanceof Objective.L1 || o instanceof Objective.L2 || o instanceof Objective.TotalVariation;
    }

    /** Whether the objective has terms of the whole batch (diversity, alignment, interpolation), which are not any one image's. */
    public static boolean hasBatchTerms(Objective o) {
        return o instanceof Objective.Diversity || o instanceof Objective.Alignment || o instanceof Objective.ChannelInterpolate
                || o instanceof Objective.Sum s && s.terms().stream().anyMatch(t -> hasBatchTerms(t.objective()));
    }

    /**
     * Adds {@code weight} times the objective to {@code values} (per image), its gradient with
     * respect to each activation to {@code seeds} (arrays of the activations' sizes, allocated by
     * the caller), and the gradient of image terms to {@code imageGradient}.
     */
    public static void evaluate(Objective o, double weight, Batch b, float[] values, Map<String, float[]> seeds, float[] imageGradient) {
        evaluate(o, weight, b, values, new double[1], seeds, imageGradient);
    }

    /** As above; batch terms add to {@code batch[0]}, not to any image's value. */
    public static void evaluate(Objective o, double weight, Batch b, float[] values, double[] batch, Map<String, float[]> seeds, float[] imageGradient) {
        if (o instanceof Objective.Sum s) {
            s.terms().forEach(t -> evaluate(t.objective(), weight * t.weight(), b, values, batch, seeds, imageGradient));
        } else if (o instanceof Objective.Diversity d) {
            batch[0] += weight * diversity(b, d.layer(), weight, seeds.get(d.layer()));
        } else if (o instanceof Objective.Alignment a) {
            batch[0] += weight * alignment(b, a, weight, seeds.get(a.layer()));
        } else if (o instanceof Objective.ChannelInterpolate ci) {
            batch[0] += weight * channelInterpolate(b, ci, weight, seeds);
        } else if (o instanceof Objective.DirectionCosine d) {
            directionCosine(b, d, weight, values, seeds.get(d.layer()));
        } else if (o instanceof Objective.Channel c) {
            weighted(b, c.layer(), c.channel(), weight, values, seeds, channelWeights(shape(b, c.layer()), c.border()));
        } else if (o instanceof Objective.Neuron n) {
            long[] s = shape(b, n.layer());
            int h = s.length > 1 ? (int) s[1] : 1;
            int w = s.length > 2 ? (int) s[2] : 1;
            int y = n.y() != null ? n.y() : h / 2;
            int x = n.x() != null ? n.x() : w / 2;
            if (y < 0 || y >= h || x < 0 || x >= w) {
                throw FiltervisException.usage("neuron (" + y + ", " + x + ") is outside layer '" + n.layer() + "' of " + h + "x" + w);
            }
            float[] one = new float[h * w];
            one[y * w + x] = 1;
            weighted(b, n.layer(), n.channel(), weight, values, seeds, one);
        } else if (o instanceof Objective.Logit l) {
            long[] s = shape(b, l.layer());
            if (s.length != 1) {
                throw FiltervisException.usage("logit(" + l.layer() + ", ...) needs a tensor without spatial axes; " + l.layer() + " has shape "
                        + Arrays.toString(s) + " per image");
            }
            weighted(b, l.layer(), l.k(), weight, values, seeds, new float[] {1});
        } else if (o instanceof Objective.DeepDream d) {
            float[] a = b.activations().get(d.layer());
            float[] seed = seeds.get(d.layer());
            int per = a.length / b.n();
            for (int i = 0; i < b.n(); i++) {
                double sum = 0;
                for (int j = i * per; j < (i + 1) * per; j++) {
                    sum += (double) a[j] * a[j];
                    seed[j] += (float) (weight * 2 * a[j] / per);
                }
                values[i] += (float) (weight * sum / per);
            }
        } else if (o instanceof Objective.Direction d) {
            channelsMatch(b, d.layer(), d.v(), "direction");
            float[] a = b.activations().get(d.layer());
            float[] seed = seeds.get(d.layer());
            int per = a.length / b.n();
            int spatial = per / d.v().length;
            for (int i = 0; i < b.n(); i++) {
                double sum = 0;
                for (int j = 0; j < per; j++) {
                    float v = d.v()[j / spatial];
                    sum += (double) a[i * per + j] * v;
                    seed[i * per + j] += (float) (weight * v / per);
                }
                values[i] += (float) (weight * sum / per);
            }
        } else if (o instanceof Objective.L1) {
            imageTerm(b, weight, values, imageGradient, (x, g, off, per) -> {
                double sum = 0;
                for (int j = off; j < off + per; j++) {
                    sum += Math.abs(x[j]);
                    g[j] = Math.signum(x[j]);
                }
                return sum;
            });
        } else if (o instanceof Objective.L2) {
            imageTerm(b, weight, values, imageGradient, (x, g, off, per) -> {
                double sum = 0;
                for (int j = off; j < off + per; j++) {
                    sum += (double) x[j] * x[j];
                }
                double norm = Math.sqrt(sum);
                for (int j = off; j < off + per; j++) {
                    g[j] = norm > 0 ? (float) (x[j] / norm) : 0;
                }
                return norm;
            });
        } else if (o instanceof Objective.TotalVariation) {
            imageTerm(b, weight, values, imageGradient, (x, g, off, per) -> totalVariation(b.input(), x, g, off));
        } else {
            // Never a silent 0: an objective added to the API without its evaluation here stops at the first call.
            throw new IllegalStateException("objective " + o.getClass().getSimpleName() + " has no evaluation; add it to Objectives.evaluate");
        }
    }

    /**
     * Lucid's diversity of the batch at {@code layer}; adds weight * its gradient to {@code seed}.
     * With A_i [C, P] (P positions), G_i = A_i A_i^T, g_i = G_i / |G_i| (|G| at least 1e-5, as
     * l2_normalize's epsilon 1e-10 on the sum of squares), D = sum over i != j of <g_i, g_j> / N.
     * dD/dg_i = 2 S_i / N with S_i the sum of the other g_j; back through the normalization,
     * M_i = (dD/dg_i - g_i <dD/dg_i, g_i>) / |G_i|; and dD/dA_i = (M_i + M_i^T) A_i = 2 M_i A_i.
     */
    private static double diversity(Batch b, String layer, double weight, float[] seed) {
        float[] a = b.activations().get(layer);
        int n = b.n();
        int per = a.length / n;
        int c = (int) shape(b, layer)[0];
        int p = per / c;
        double[][] g = new double[n][];
        double[] norm = new double[n];
        for (int i = 0; i < n; i++) {
            double[] gram = new double[c * c];
            for (int u = 0; u < c; u++) {
                for (int v = u; v < c; v++) {
                    double sum = 0;
                    for (int k = 0; k < p; k++) {
                        sum += (double) a[i * per + u * p + k] * a[i * per + v * p + k];
                    }
                    gram[u * c + v] = sum;
                    gram[v * c + u] = sum;
                }
            }
            double ss = 0;
            for (double x : gram) {
                ss += x * x;
            }
            norm[i] = Math.sqrt(Math.max(ss, 1e-10));
            for (int k = 0; k < gram.length; k++) {
                gram[k] /= norm[i];
            }
            g[i] = gram;
        }
        double[] total = new double[c * c];
        for (double[] gi : g) {
            for (int k = 0; k < total.length; k++) {
                total[k] += gi[k];
            }
        }
        double value = 0;
        for (int i = 0; i < n; i++) {
            double[] dg = new double[c * c];
            double dot = 0;
            for (int k = 0; k < dg.length; k++) {
                double others = total[k] - g[i][k];
                value += g[i][k] * others;
                dg[k] = 2 * others / n;
                dot += dg[k] * g[i][k];
            }
            for (int k = 0; k < dg.length; k++) {
                dg[k] = (dg[k] - g[i][k] * dot) / norm[i];
            }
            // dD/dA_i = 2 M A_i (M symmetric).
            for (int u = 0; u < c; u++) {
                for (int k = 0; k < p; k++) {
                    double sum = 0;
                    for (int v = 0; v < c; v++) {
                        sum += dg[u * c + v] * a[i * per + v * p + k];
                    }
                    seed[i * per + u * p + k] += (float) (weight * 2 * sum);
                }
            }
        }
        return value / n;
    }

    /**
     * Lucid's direction with cossim_pow, per image (the mean over positions); see
     * {@link Objective.DirectionCosine}. With f = d m^p, m = max(0.1, cos): df/dA[c] = v[c] m^p +
     * p d m^(p-1) dcos/dA[c] where cos exceeds 0.1, and dcos/dA[c] = v[c] / (B V) - d A[c] / (|A| B^2 V),
     * B = 1e-4 + |A|, V = 1e-4 + |v|.
     */
    private static void directionCosine(Batch b, Objective.DirectionCosine o, double weight, float[] values, float[] seed) {
        float[] a = b.activations().get(o.layer());
        int c = channelsMatch(b, o.layer(), o.v(), "direction_cosine");
        int per = a.length / b.n();
        int positions = per / c;
        double vNorm = 0;
        for (float x : o.v()) {
            vNorm += (double) x * x;
        }
        double bigV = 1e-4 + Math.sqrt(vNorm);
        double p = o.power();
        for (int i = 0; i < b.n(); i++) {
            double sum = 0;
            for (int k = 0; k < positions; k++) {
                double d = 0;
                double aa = 0;
                for (int ch = 0; ch < c; ch++) {
                    double x = a[i * per + ch * positions + k];
                    d += x * o.v()[ch];
                    aa += x * x;
                }
                double aNorm = Math.sqrt(aa);
                double bigB = 1e-4 + aNorm;
                double cos = d / (bigB * bigV);
                double m = Math.max(0.1, cos);
                double mp = Math.pow(m, p);
                sum += d * mp;
                double slope = cos > 0.1 ? p * d * Math.pow(m, p - 1) : 0;
                for (int ch = 0; ch < c; ch++) {
                    int j = i * per + ch * positions + k;
                    double dCos = o.v()[ch] / (bigB * bigV) - (aNorm > 0 ? d * a[j] / (aNorm * bigB * bigB * bigV) : 0);
                    seed[j] += (float) (weight * (o.v()[ch] * mp + slope * dCos) / positions);
                }
            }
            values[i] += (float) (weight * sum / positions);
        }
    }

    /** Lucid's channel_interpolate over the batch (see {@link Objective.ChannelInterpolate}); adds weight * its gradient to the seeds. */
    private static double channelInterpolate(Batch b, Objective.ChannelInterpolate o, double weight, Map<String, float[]> seeds) {
        double value = 0;
        for (int i = 0; i < b.n(); i++) {
            double w = b.n() > 1 ? i / (double) (b.n() - 1) : 0;
            value += channelMean(b, o.layer1(), o.channel1(), i, (1 - w) * weight, seeds) * (1 - w);
            value += channelMean(b, o.layer2(), o.channel2(), i, w * weight, seeds) * w;
        }
        return value;
    }

    /** The mean of image i's channel c at a layer; adds {@code seedWeight} / positions to its seed there. */
    private static double channelMean(Batch b, String layer, int c, int i, double seedWeight, Map<String, float[]> seeds) {
        float[] a = b.activations().get(layer);
        float[] seed = seeds.get(layer);
        int per = a.length / b.n();
        int channels = (int) shape(b, layer)[0];
        if (c < 0 || c >= channels) {
            throw FiltervisException.usage("channel " + c + " is out of range: layer '" + layer + "' has channels 0 to " + (channels - 1));
        }
        int positions = per / channels;
        int off = i * per + c * positions;
        double sum = 0;
        for (int k = off; k < off + positions; k++) {
            sum += a[k];
            seed[k] += (float) (seedWeight / positions);
        }
        return sum / positions;
    }

    /** Lucid's alignment over the batch (see {@link Objective.Alignment}); adds weight * its gradient to the seed. */
    private static double alignment(Batch b, Objective.Alignment o, double weight, float[] seed) {
        float[] a = b.activations().get(o.layer());
        int per = a.length / b.n();
        double value = 0;
        for (int d = 1; d <= 4; d++) {
            double scale = Math.pow(o.decay(), d);
            for (int i = 0; i + d < b.n(); i++) {
                double sum = 0;
                for (int j = 0; j < per; j++) {
                    double diff = (double) a[i * per + j] - a[(i + d) * per + j];
                    sum += diff * diff;
                    float g = (float) (-weight * 2 * diff / (per * scale));
                    seed[i * per + j] += g;
                    seed[(i + d) * per + j] -= g;
                }
                value -= sum / per / scale;
            }
        }
        return value;
    }

    /** The layer's channel count, after checking that a direction vector has one value per channel. */
    private static int channelsMatch(Batch b, String layer, float[] v, String name) {
        int c = (int) shape(b, layer)[0];
        if (v.length != c) {
            throw FiltervisException.usage(name + "(" + layer + ", ...) has " + v.length + " values; the layer has " + c + " channels");
        }
        return c;
    }

    /** value[i] += weight * sum(w * A_i[c]) over one channel's map; seed likewise. */
    private static void weighted(Batch b, String layer, Integer channel, double weight, float[] values, Map<String, float[]> seeds, float[] w) {
        float[] a = b.activations().get(layer);
        float[] seed = seeds.get(layer);
        int per = a.length / b.n();
        int channels = per / w.length;
        for (int i = 0; i < b.n(); i++) {
            int c = channel != null ? channel : b.filters()[i];
            if (c < 0 || c >= channels) {
                throw FiltervisException.usage("channel " + c + " is out of range: layer '" + layer + "' has channels 0 to " + (channels - 1));
            }
            int off = i * per + c * w.length;
            double sum = 0;
            for (int j = 0; j < w.length; j++) {
                if (w[j] != 0) {
                    sum += (double) w[j] * a[off + j];
                    seed[off + j] += (float) (weight * w[j]);
                }
            }
            values[i] += (float) (weight * sum);
        }
    }

    /**
     * The channel objective's weights over one [C, spatial...] map: 1/count inside a border of
     * {@code border} positions (the whole map when a side is {@code 2 * border} or less, or for 0).
     */
    static float[] channelWeights(long[] s, int border) {
        int spatial = s.length - 1;
        boolean inner = spatial > 0 && border > 0;
        int total = 1;
        for (int i = 1; i < s.length; i++) {
            inner &= s[i] > 2L * border;
            total *= (int) s[i];
        }
        float[] w = new float[total];
        int inside = 0;
        for (int idx = 0; idx < total; idx++) {
            boolean in = true;
            int rest = idx;
            for (int i = s.length - 1; i >= 1; i--) {
                long coord = rest % s[i];
                rest /= (int) s[i];
                in &= !inner || (coord >= border && coord < s[i] - border);
            }
            if (in) {
                w[idx] = 1;
                inside++;
            }
        }
        for (int i = 0; i < total; i++) {
            w[i] /= inside;
        }
        return w;
    }

    private interface ImageFunction {
        /** The term's value for one image at {@code off}; its gradient written into {@code g} there. */
        double apply(float[] x, float[] g, int off, int per);
    }

    private static void imageTerm(Batch b, double weight, float[] values, float[] imageGradient, ImageFunction f) {
        int per = b.input().elements();
        float[] g = new float[b.images().length];
        for (int i = 0; i < b.n(); i++) {
            values[i] += (float) (weight * f.apply(b.images(), g, i * per, per));
        }
        for (int j = 0; j < g.length; j++) {
            imageGradient[j] += (float) (weight * g[j]);
        }
    }

    /** TensorFlow's total_variation of one image, in either layout; its (sub)gradient into {@code g}. */
    private static double totalVariation(InputSpec in, float[] x, float[] g, int off) {
        int h = in.height();
        int w = in.width();
        int c = in.channels();
        boolean nchw = in.layout() == InputSpec.Layout.NCHW;
        double sum = 0;
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    int here = off + (nchw ? (ch * h + y) * w + xx : (y * w + xx) * c + ch);
                    if (y + 1 < h) {
                        int below = off + (nchw ? (ch * h + y + 1) * w + xx : ((y + 1) * w + xx) * c + ch);
                        float d = x[below] - x[here];
                        sum += Math.abs(d);
                        g[below] += Math.signum(d);
                        g[here] -= Math.signum(d);
                    }
                    if (xx + 1 < w) {
                        int right = off + (nchw ? (ch * h + y) * w + xx + 1 : (y * w + xx + 1) * c + ch);
                        float d = x[right] - x[here];
                        sum += Math.abs(d);
                        g[right] += Math.signum(d);
                        g[here] -= Math.signum(d);
                    }
                }
            }
        }
        return sum;
    }

    private static long[] shape(Batch b, String layer) {
        long[] s = b.shapes().get(layer);
        if (s == null) {
            throw new IllegalStateException("no activation of " + layer);
        }
        return s;
    }
}
