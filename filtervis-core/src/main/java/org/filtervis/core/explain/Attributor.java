package org.filtervis.core.explain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.filtervis.core.photos.Photos;
import org.filtervis.api.Differentiator;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.lucid.InputRange;

/**
 * Attribution of one class score to a photo, on any backend's general differentiation: the
 * activations of a spatial layer and of the head, the gradient of one class score at that layer
 * (the class activation maps) or at the image (the pixel methods). Score-CAM needs forward passes
 * only, batched. Not thread-safe; closes its differentiator.
 */
public final class Attributor implements AutoCloseable {
    /** Largest batch of masked or interpolated images sent in one call. */
    static final int CHUNK = 16;

    /**
     * The class score: a tensor without spatial axes. {@code probabilities} when the model ends in
     * a softmax whose input it does not expose, so the scores are probabilities, not logits.
     */
    public record Head(String tensor, int classes, boolean probabilities, String note) {}

    /** The per-method settings: SmoothGrad's samples and noise, Integrated Gradients' steps (gradients), baseline and path rule. */
    public record Settings(int samples, double noise, int steps, String baseline, String rule, long seed) {
        public static Settings defaults() {
            return new Settings(50, 0.15, 256, "black", "adaptive", 0);
        }

        public Settings {
            if (samples < 1 || samples > 10_000) {
                throw FiltervisException.usage("--samples " + samples + " is out of range; give 1 to 10000 (default 50)");
            }
            if (!(noise >= 0 && noise <= 10)) {
                throw FiltervisException.usage("--noise " + noise + " is out of range; give 0 to 10, a fraction of the input's range (default 0.15)");
            }
            if (steps < 1 || steps > 4096) {
                throw FiltervisException.usage("--steps " + steps + " is out of range; give 1 to 4096 (default 256)");
            }
            if (!List.of("adaptive", "uniform").contains(rule)) {
                throw FiltervisException.usage("--path-rule " + rule + " is not adaptive or uniform");
            }
            if (!List.of("black", "blur", "noise").contains(baseline)) {
                throw FiltervisException.usage("--baseline " + baseline + " is not black, blur or noise");
            }
        }
    }

    /**
     * One method's map for one class: {@code map} at the layer's resolution (the image's for the
     * pixel methods), {@code upsampled} at the image's; {@code details} for the record.
     */
    public record Result(Method method, int classIndex, float[] map, int height, int width, float[] upsampled, Map<String, Object> details) {}

    private final Differentiator d;
    private final String layer;
    private final Head head;
    private final InputSpec input;
    private final InputRange range;
    private final int size;
    private final int channels;
    private final int mapHeight;
    private final int mapWidth;

    private Attributor(Differentiator d, String layer, Head head, InputRange range, int size) {
        this.d = d;
        this.layer = layer;
        this.head = head;
        this.input = d.input().withSize(size, size);
        this.range = range;
        this.size = size;
        long[] s = d.shape(layer);
        if (s.length != 3) {
            d.close();
            throw FiltervisException.usage("layer '" + layer + "' has no spatial axes (shape " + Arrays.toString(s)
                    + "); class activation maps need a layer with height and width: leave out --layer for the default");
        }
        channels = (int) s[0];
        mapHeight = (int) s[1];
        mapWidth = (int) s[2];
        long[] h = d.shape(head.tensor());
        if (h.length != 1) {
            d.close();
            throw FiltervisException.usage("the class scores '" + head.tensor() + "' have spatial axes (shape " + Arrays.toString(h) + ")");
        }
    }

    /** Opens the layer and the head on {@code model} for square images of {@code size}. */
    public static Attributor open(Model model, String layer, Head head, InputRange range, int size) {
        Differentiator d = model.differentiator(List.of(layer, head.tensor()), size, size)
                .orElseThrow(() -> FiltervisException.usage("this backend offers no general differentiation, which attribution needs; use --backend onnx, tf or djl"));
        return new Attributor(d, layer, head, range.forChannels(d.input().channels()), size);
    }

    /**
     * The class scores: the last suggested layer without spatial axes (the graph's output is always
     * suggested; {@link org.filtervis.api.Model#layers} lists suggested layers first, each part in
     * graph order). Where that is a softmax, its logits: the last other layer of the same shape;
     * else the probabilities, said in the note.
     */
    public static Head head(List<LayerInfo> layers) {
        LayerInfo out = null;
        for (LayerInfo l : layers) {
            if (l.suggested() && l.shape().size() == 2) {
                out = l;
            }
        }
        if (out == null) {
            throw FiltervisException.usage("the model has no output without spatial axes (class scores); attribution explains a classifier");
        }
        if (!out.opType().equals("Softmax")) {
            return new Head(out.name(), out.channels(), false, null);
        }
        LayerInfo logits = null;
        for (LayerInfo l : layers) {
            if (l != out && l.shape().equals(out.shape()) && !l.opType().equals("Softmax") && (logits == null || !l.suggested() || logits.suggested())) {
                logits = l;
            }
        }
        if (logits != null) {
            return new Head(logits.name(), logits.channels(), false, "scores are the logits '" + logits.name() + "', the input of the softmax '" + out.name() + "'");
        }
        return new Head(out.name(), out.channels(), true, "the model exposes only probabilities ('" + out.name() + "', a softmax): scores are probabilities, not logits");
    }

    /** The last suggested layer with height and width larger than 1 before the head (else any such layer). */
    public static String defaultLayer(List<LayerInfo> layers, Head head) {
        String best = null;
        String any = null;
        for (LayerInfo l : layers) {
            if (l.name().equals(head.tensor())) {
                break;
            }
            List<Long> s = l.shape();
            if (s.size() == 4 && s.get(2) * s.get(3) > 1) {
                any = l.name();
                if (l.suggested()) {
                    best = l.name();
                }
            }
        }
        if (best == null && any == null) {
            throw FiltervisException.usage("the model has no layer with height and width before its class scores; give --layer");
        }
        return best != null ? best : any;
    }

    public String layer() {
        return layer;
    }

    public Head headInfo() {
        return head;
    }

    /** Layer shape as [C, H, W]. */
    public int[] layerShape() {
        return new int[] {channels, mapHeight, mapWidth};
    }

    /** The class scores of one photo (CHW colours in [0, 1]). */
    public float[] scores(float[] rgb) {
        return d.activations(modelInput(rgb), 1).get(head.tensor()).clone();
    }

    float[] modelInput(float[] rgb) {
        return Photos.modelInput(rgb, size, range, input);
    }

    /** The photo as the model's input, channel-major (CHW): what the metrics perturb. */
    public float[] inputChw(float[] rgb) {
        return Photos.toChw(modelInput(rgb), size, input);
    }

    /** The same layer, head, input range and size on another model of the same graph (a randomised copy). */
    public Attributor on(Model other) {
        return open(other, layer, head, range, size);
    }

    /** A CHW model input in the model's own layout. */
    public float[] layoutOf(float[] chw) {
        return Photos.toLayout(chw, size, input);
    }

    private long scoringCalls;
    private long scoredImages;

    /** The backend calls and images the scorers made so far: what the metrics cost. */
    public long[] scoringCounts() {
        return new long[] {scoringCalls, scoredImages};
    }

    /** Largest batch of perturbed images a metric sends in one call. */
    static final int METRIC_CHUNK = 64;

    /**
     * The class's score for a batch of CHW model inputs: its softmax probability from the logits
     * (the model's own where it gives probabilities), in calls of at most {@link #METRIC_CHUNK}.
     */
    public Faithfulness.Scorer scorer(int k) {
        return (images, n) -> {
            scoredImages += n;
            int per = input.elements();
            double[] out = new double[n];
            int chunk = Math.max(1, Math.min(METRIC_CHUNK, d.maxBatch()));
            for (int start = 0; start < n; start += chunk) {
                int m = Math.min(chunk, n - start);
                float[] batch = new float[m * per];
                for (int i = 0; i < m; i++) {
                    float[] one = Photos.toLayout(Arrays.copyOfRange(images, (start + i) * per, (start + i + 1) * per), size, input);
                    System.arraycopy(one, 0, batch, i * per, per);
                }
                float[] scores = d.activations(batch, m).get(head.tensor());
                scoringCalls++;
                for (int i = 0; i < m; i++) {
                    out[start + i] = head.probabilities() ? scores[i * head.classes() + k] : softmax(scores, i * head.classes(), head.classes(), k);
                }
            }
            return out;
        };
    }

    /** One method's map for class {@code k} of one photo. */
    public Result explain(Method method, float[] rgb, int k, Settings settings) {
        return explainInput(method, rgb, modelInput(rgb), k, settings);
    }

    /**
     * One method's map for class {@code k} of a model input {@code x} (the model's layout); {@code
     * rgb} is the photo it came from, for Integrated Gradients' blurred baseline.
     */
    public Result explainInput(Method method, float[] rgb, float[] x, int k, Settings settings) {
        if (k < 0 || k >= head.classes()) {
            throw FiltervisException.usage("class " + k + " is out of range: the model has classes 0 to " + (head.classes() - 1));
        }
        Map<String, Object> details = new LinkedHashMap<>();
        if (method == Method.SCORECAM) {
            return atLayer(method, k, scoreCam(x, k, details), details);
        }
        if (method == Method.ABLATIONCAM) {
            return atLayer(method, k, ablationCam(x, k, details), details);
        }
        if (method.atLayer()) {
            Map<String, float[]> acts = d.activations(x, 1);
            float[] a = acts.get(layer);
            int positions = mapHeight * mapWidth;
            if (method == Method.EIGENCAM) {
                // Gradient-free: the activations alone (the class does not change the map).
                return atLayer(method, k, CamMaps.eigenCam(a, channels, positions), details);
            }
            float[] g = d.tensorGradients(x, 1, Map.of(head.tensor(), oneHot(1, k)), List.of(layer)).get(layer);
            float[] map = switch (method) {
                case GRADCAM -> CamMaps.gradCam(a, g, channels, positions);
                case GRADCAM_PP -> CamMaps.gradCamPlusPlus(a, g, channels, positions);
                case HIRESCAM -> CamMaps.hiResCam(a, g, channels, positions);
                case LAYERCAM -> CamMaps.layerCam(a, g, channels, positions);
                case XGRADCAM -> CamMaps.xGradCam(a, g, channels, positions);
                case EIGENGRADCAM -> CamMaps.eigenGradCam(a, g, channels, positions);
                default -> throw new IllegalStateException(method.toString());
            };
            return atLayer(method, k, map, details);
        }
        float[] map = switch (method) {
            case SALIENCY -> maxAbsOverChannels(gradientSum(new float[][] {x}, k), 1);
            case SMOOTHGRAD -> smoothGrad(x, k, settings, details);
            case INTEGRATED_GRADIENTS -> integratedGradients(rgb, x, k, settings, details);
            default -> throw new IllegalStateException(method.toString());
        };
        return new Result(method, k, map, size, size, map, details);
    }

    private Result atLayer(Method method, int k, float[] map, Map<String, Object> details) {
        return new Result(method, k, map, mapHeight, mapWidth, CamMaps.upsample(map, mapHeight, mapWidth, size, size), details);
    }

    /**
     * Score-CAM (Wang et al. 2020, Algorithm 1): each channel's map, upsampled and scaled to [0, 1],
     * masks the input; the weight is the class's softmax probability for the masked input (the
     * score itself where the model gives probabilities); ReLU(sum_c w_c A_c).
     */
    private float[] scoreCam(float[] x, int k, Map<String, Object> details) {
        float[] a = d.activations(x, 1).get(layer);
        int positions = mapHeight * mapWidth;
        int per = input.elements();
        int pixels = size * size;
        double[] w = new double[channels];
        List<Integer> live = new ArrayList<>();
        List<float[]> masks = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            float[] up = CamMaps.upsample(Arrays.copyOfRange(a, c * positions, (c + 1) * positions), mapHeight, mapWidth, size, size);
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (float v : up) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (!(hi > lo)) {
                continue; // a constant map masks nothing in particular: weight 0, as the official code skips it
            }
            for (int p = 0; p < pixels; p++) {
                up[p] = (up[p] - lo) / (hi - lo);
            }
            live.add(c);
            masks.add(up);
        }
        int chunk = Math.min(CHUNK, d.maxBatch());
        for (int start = 0; start < live.size(); start += chunk) {
            int n = Math.min(chunk, live.size() - start);
            float[] batch = new float[n * per];
            for (int i = 0; i < n; i++) {
                float[] mask = masks.get(start + i);
                for (int ch = 0; ch < 3; ch++) {
                    for (int p = 0; p < pixels; p++) {
                        int idx = input.index(ch, p / size, p % size);
                        batch[i * per + idx] = x[idx] * mask[p];
                    }
                }
            }
            float[] scores = d.activations(batch, n).get(head.tensor());
            for (int i = 0; i < n; i++) {
                w[live.get(start + i)] = head.probabilities() ? scores[i * head.classes() + k] : softmax(scores, i * head.classes(), head.classes(), k);
            }
        }
        details.put("masked_forward_passes", live.size());
        return CamMaps.weighted(a, w, channels, positions);
    }

    /** Largest number of activations (floats) one Ablation-CAM call sends. */
    static final int ABLATION_FLOATS = 1 << 24;

    /**
     * Ablation-CAM (Desai and Ramaswamy 2020): w_c = (y - y_c) / y, y the class score (the logit,
     * or the probability where the model gives only those) and y_c the score with channel c of the
     * layer zeroed; ReLU(sum_c w_c A_c). The network runs on from the layer, on batches of copies
     * of its activation; the unablated copy rides in the first batch, so y and every y_c come from
     * the same computation.
     */
    private float[] ablationCam(float[] x, int k, Map<String, Object> details) {
        float[] a = d.activations(x, 1).get(layer);
        int per = a.length;
        int total = channels + 1;
        int chunk = Math.max(1, Math.min(Math.min(METRIC_CHUNK, d.maxBatch()), ABLATION_FLOATS / per));
        double[] scores = new double[total];
        for (int start = 0; start < total; start += chunk) {
            int n = Math.min(chunk, total - start);
            float[] batch = new float[n * per];
            for (int i = 0; i < n; i++) {
                System.arraycopy(a, 0, batch, i * per, per);
                int c = start + i - 1; // copy 0 is the activation itself
                if (c >= 0) {
                    Arrays.fill(batch, i * per + c * (per / channels), i * per + (c + 1) * (per / channels), 0f);
                }
            }
            float[] out;
            try {
                out = d.activationsFrom(layer, batch, n, List.of(head.tensor())).get(head.tensor());
            } catch (FiltervisException e) {
                throw e.usage() ? FiltervisException.usage("ablationcam runs the network on from layer '" + layer + "': " + e.getMessage()) : e;
            }
            for (int i = 0; i < n; i++) {
                scores[start + i] = out[i * head.classes() + k];
            }
        }
        double y = scores[0];
        if (!(y != 0) || !Double.isFinite(y)) {
            throw FiltervisException.usage("class " + k + "'s score is " + y + "; ablationcam divides by it: pick another class or method");
        }
        double[] w = new double[channels];
        for (int c = 0; c < channels; c++) {
            w[c] = (y - scores[c + 1]) / y;
        }
        details.put("ablated_forward_passes", channels);
        return CamMaps.weighted(a, w, channels, mapHeight * mapWidth);
    }

    static double softmax(float[] logits, int off, int classes, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < classes; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < classes; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        return Math.exp(logits[off + k] - max) / sum;
    }

    /**
     * SmoothGrad (Smilkov et al. 2017): the mean input gradient over {@code samples} copies with
     * Gaussian noise of sd {@code noise} times the input's range, shown as saliency is.
     */
    private float[] smoothGrad(float[] x, int k, Settings s, Map<String, Object> details) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double sd = s.noise() * (hi - lo);
        SplittableRandom random = new SplittableRandom(s.seed());
        float[][] noisy = new float[s.samples()][];
        for (int i = 0; i < s.samples(); i++) {
            float[] xi = x.clone();
            for (int j = 0; j < xi.length; j++) {
                xi[j] += (float) (sd * gaussian(random));
            }
            noisy[i] = xi;
        }
        details.put("samples", s.samples());
        details.put("noise", s.noise());
        details.put("noise_sd", sd);
        return maxAbsOverChannels(gradientSum(noisy, k), s.samples());
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller: reproducible across JVMs (java.util.Random's nextGaussian is too, but needs a shared object)
        double u = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /**
     * Integrated Gradients (Sundararajan et al. 2017): (x - b) times the path integral of the
     * gradient from the baseline b to x ({@link PathIntegral}); the map is the attribution summed
     * over colour channels (signed). Completeness, sum = f(x) - f(b), is measured and recorded.
     */
    private float[] integratedGradients(float[] rgb, float[] x, int k, Settings s, Map<String, Object> details) {
        if ((long) s.steps() * x.length > 500_000_000L) { // one gradient is kept per interval: at most 2 GB
            throw FiltervisException.usage("--steps " + s.steps() + " at " + size + " px keeps more than 2 GB of gradients; lower --steps or --size");
        }
        float[] b = modelInput(baseline(rgb, s));
        int chunk = Math.min(CHUNK, d.maxBatch());
        PathIntegral.Outcome o = PathIntegral.integrate(b, x, s.steps(), s.rule().equals("adaptive"), chunk, images -> {
            float[] scores = d.activations(stack(images), images.size()).get(head.tensor());
            double[] v = new double[images.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = scores[i * head.classes() + k];
            }
            return v;
        }, images -> {
            int per = input.elements();
            float[] g = new float[images.size() * per];
            d.inputGradient(stack(images), images.size(), Map.of(head.tensor(), oneHot(images.size(), k)), g);
            List<float[]> out = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                out.add(Arrays.copyOfRange(g, i * per, (i + 1) * per));
            }
            return out;
        });
        float[] attribution = new float[x.length];
        double total = 0;
        for (int j = 0; j < x.length; j++) {
            attribution[j] = (float) (((double) x[j] - b[j]) * o.integral()[j]);
            total += attribution[j];
        }
        details.put("steps", o.gradients());
        details.put("rule", s.rule());
        details.put("intervals", o.intervals());
        details.put("baseline", s.baseline());
        details.put("score_minus_baseline_score", o.exact());
        details.put("attribution_sum", total);
        details.put("rule_estimate", o.estimate());
        details.put("completeness_error", Math.abs(total - o.exact()) / Math.max(1e-12, Math.abs(o.exact())));
        float[] chw = Photos.toChw(attribution, size, input);
        float[] map = new float[size * size];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < map.length; p++) {
                map[p] += chw[c * map.length + p];
            }
        }
        return map;
    }

    private static float[] stack(List<float[]> images) {
        int per = images.get(0).length;
        float[] out = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i), 0, out, i * per, per);
        }
        return out;
    }

    /** The baseline photo: black, blurred (Gaussian, sd size/20 px), or uniform noise. */
    private float[] baseline(float[] rgb, Settings s) {
        return switch (s.baseline()) {
            case "black" -> new float[rgb.length];
            case "blur" -> Blur.gaussian(rgb, 3, size, size / 20.0);
            default -> {
                SplittableRandom r = new SplittableRandom(s.seed());
                float[] n = new float[rgb.length];
                for (int i = 0; i < n.length; i++) {
                    n[i] = (float) r.nextDouble();
                }
                yield n;
            }
        };
    }

    /** The sum over images of d score_k / d image, in the model's layout, batched. */
    private float[] gradientSum(float[][] images, int k) {
        int per = input.elements();
        float[] sum = new float[per];
        int chunk = Math.min(CHUNK, d.maxBatch());
        for (int start = 0; start < images.length; start += chunk) {
            int n = Math.min(chunk, images.length - start);
            float[] batch = new float[n * per];
            for (int i = 0; i < n; i++) {
                System.arraycopy(images[start + i], 0, batch, i * per, per);
            }
            float[] g = new float[n * per];
            d.inputGradient(batch, n, Map.of(head.tensor(), oneHot(n, k)), g);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < per; j++) {
                    sum[j] += g[i * per + j];
                }
            }
        }
        return sum;
    }

    /** max over colour channels of |g| / count, per pixel (Simonyan et al. 2014). */
    private float[] maxAbsOverChannels(float[] g, int count) {
        float[] chw = Photos.toChw(g, size, input);
        int pixels = size * size;
        float[] map = new float[pixels];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < pixels; p++) {
                map[p] = Math.max(map[p], Math.abs(chw[c * pixels + p]) / count);
            }
        }
        return map;
    }

    private float[] oneHot(int n, int k) {
        float[] seed = new float[n * head.classes()];
        for (int i = 0; i < n; i++) {
            seed[i * head.classes() + k] = 1;
        }
        return seed;
    }

    @Override
    public void close() {
        d.close();
    }
}
