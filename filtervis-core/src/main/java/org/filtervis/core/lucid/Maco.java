package org.filtervis.core.lucid;

/**
 * MaCo's image parameterization (Fel et al. 2023, "Unlocking feature visualization for deeper
 * networks with magnitude constrained optimization"; Xplique's {@code maco_image_parametrization}):
 * the parameters are only the phase P of the image's spectrum, C x S x (S / 2 + 1); the magnitude
 * M is fixed (a natural-image spectrum, {@link MagnitudeSpectrum}). For one image:
 * <ol>
 * <li>P' = (P - mean P) / (std P + 1e-5) (means and population deviations over every value)</li>
 * <li>x = irfft2(M cos P' + i M sin P'), divided by S^2 as numpy's irfft2 is</li>
 * <li>x' = (x - mean x) / (std x + 1e-5)</li>
 * <li>colours = sigmoid(Lucid's recorrelation of x') in [0, 1] ({@link Colour})</li>
 * </ol>
 * {@link #backward} is the exact gradient of the colours with respect to P.
 */
public final class Maco {
    static final double EPS = 1e-5;

    private final int channels;
    private final int size;
    private final int half;
    private final float[] magnitude;
    private final Spectrum inverse;
    private final Colour colour;

    /** One image's forward state, which {@link #backward} needs. */
    public static final class Trace {
        /** The standardised phase, the image before its standardisation, and the colours. */
        final float[] phase;
        final float[] x;
        final float[] rgb;
        double phaseMean;
        double phaseStd;
        double xMean;
        double xStd;

        Trace(int phases, int pixels) {
            phase = new float[phases];
            x = new float[pixels];
            rgb = new float[pixels];
        }

        /** The colours in [0, 1], CHW. */
        public float[] colours() {
            return rgb;
        }
    }

    /**
     * @param magnitude the fixed magnitude, C x size x (size / 2 + 1)
     */
    public Maco(int channels, int size, float[] magnitude) {
        this.channels = channels;
        this.size = size;
        this.half = size / 2 + 1;
        if (magnitude.length != parameters(channels, size)) {
            throw new IllegalArgumentException("magnitude has " + magnitude.length + " values, not " + channels + " x " + size + " x " + half);
        }
        this.magnitude = magnitude;
        this.inverse = Spectrum.inverse(channels, size, size);
        this.colour = new Colour(channels, size * size, true);
    }

    /** Phases per image: C x S x (S / 2 + 1). */
    public static int parameters(int channels, int size) {
        return channels * size * (size / 2 + 1);
    }

    public int parameters() {
        return magnitude.length;
    }

    public int pixels() {
        return channels * size * size;
    }

    public int size() {
        return size;
    }

    /** The colours of the phase at {@code p[off...]}, into {@code t} (a new trace when null). */
    public Trace forward(float[] p, int off, Trace t) {
        int n = parameters();
        Trace out = t != null ? t : new Trace(n, pixels());
        double[] ms = meanStd(p, off, n);
        out.phaseMean = ms[0];
        out.phaseStd = ms[1];
        float[] z = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double ph = (p[off + i] - ms[0]) / (ms[1] + EPS);
            out.phase[i] = (float) ph;
            z[2 * i] = (float) (magnitude[i] * Math.cos(ph));
            z[2 * i + 1] = (float) (magnitude[i] * Math.sin(ph));
        }
        inverse.render(z, 0, out.x, 0);
        double[] xs = meanStd(out.x, 0, out.x.length);
        out.xMean = xs[0];
        out.xStd = xs[1];
        float[] standard = new float[out.x.length];
        for (int i = 0; i < standard.length; i++) {
            standard[i] = (float) ((out.x[i] - xs[0]) / (xs[1] + EPS));
        }
        colour.forward(standard, 0, out.rgb, 0);
        return out;
    }

    /** d objective / d phase, written to {@code dp[dOff...]}, from d objective / d colours (CHW). */
    public void backward(Trace t, float[] dRgb, float[] dp, int dOff) {
        int n = parameters();
        float[] dStandard = new float[pixels()];
        colour.adjoint(t.rgb, 0, dRgb, 0, dStandard, 0);
        float[] dx = standardiseAdjoint(t.x, t.xMean, t.xStd, dStandard);
        float[] dz = new float[2 * n];
        inverse.adjoint(dx, 0, dz, 0);
        float[] dPhase = new float[n];
        for (int i = 0; i < n; i++) {
            double ph = t.phase[i];
            dPhase[i] = (float) (magnitude[i] * (-Math.sin(ph) * dz[2 * i] + Math.cos(ph) * dz[2 * i + 1]));
        }
        // The phase's standardisation, from the raw phase (mean + std * standardised, to rounding).
        float[] raw = new float[n];
        for (int i = 0; i < n; i++) {
            raw[i] = (float) (t.phase[i] * (t.phaseStd + EPS) + t.phaseMean);
        }
        float[] d = standardiseAdjoint(raw, t.phaseMean, t.phaseStd, dPhase);
        System.arraycopy(d, 0, dp, dOff, n);
    }

    /**
     * The gradient through y = (v - m) / (s + eps), m the mean and s the population deviation of
     * v: dv = (dy - mean dy) / (s + eps) - (sum dy (v - m)) (v - m) / ((s + eps)^2 s N).
     */
    private static float[] standardiseAdjoint(float[] v, double m, double s, float[] dy) {
        int n = v.length;
        double meanDy = 0;
        double dot = 0;
        for (int i = 0; i < n; i++) {
            meanDy += dy[i];
            dot += dy[i] * (v[i] - m);
        }
        meanDy /= n;
        double a = 1 / (s + EPS);
        double b = s > 0 ? dot / ((s + EPS) * (s + EPS) * s * n) : 0;
        float[] dv = new float[n];
        for (int i = 0; i < n; i++) {
            dv[i] = (float) ((dy[i] - meanDy) * a - b * (v[i] - m));
        }
        return dv;
    }

    /** The mean and the population standard deviation, in double. */
    private static double[] meanStd(float[] v, int off, int n) {
        double sum = 0;
        for (int i = off; i < off + n; i++) {
            sum += v[i];
        }
        double mean = sum / n;
        double sq = 0;
        for (int i = off; i < off + n; i++) {
            double d = v[i] - mean;
            sq += d * d;
        }
        return new double[] {mean, Math.sqrt(sq / n)};
    }
}
