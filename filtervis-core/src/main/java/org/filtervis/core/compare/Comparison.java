package org.filtervis.core.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FilterResult;
import org.filtervis.api.RgbImage;

/**
 * The same recipe from the same initial images on several backends, and how far apart they came
 * out: per filter and backend pair, the step-0 gradient agreement (cosine, relative L2), the
 * objective trajectories, and the final images (max abs, PSNR, SSIM).
 */
public final class Comparison {
    /** One backend's run: results in filter order, step-0 gradients by filter, seconds per step. */
    public record Run(String backend, String version, List<FilterResult> results, Map<Integer, float[]> step0Gradients, double secondsPerStep) {}

    /** How one filter came out on two backends. */
    public record Pair(String a, String b, int filter, double cosine, double relativeL2, double objectiveDiff, int maxAbs, double psnr,
            double ssim) {}

    /** Tolerances: a pair agrees when its cosine and PSNR reach these. */
    public record Tolerance(double cosine, double psnr) {}

    private Comparison() {}

    public static List<Pair> pairs(List<Run> runs) {
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            for (int j = i + 1; j < runs.size(); j++) {
                Run a = runs.get(i);
                Run b = runs.get(j);
                for (int k = 0; k < a.results().size(); k++) {
                    FilterResult ra = a.results().get(k);
                    FilterResult rb = b.results().get(k);
                    float[] ga = a.step0Gradients().get(ra.filter());
                    float[] gb = b.step0Gradients().get(rb.filter());
                    out.add(new Pair(a.backend(), b.backend(), ra.filter(), cosine(ga, gb), relativeL2(ga, gb),
                            maxRelativeDiff(ra.objectives(), rb.objectives()), maxAbs(ra.image(), rb.image()), psnr(ra.image(), rb.image()),
                            ssim(ra.image(), rb.image())));
                }
            }
        }
        return out;
    }

    public static boolean agrees(Pair p, Tolerance t) {
        return p.cosine() >= t.cosine() && p.psnr() >= t.psnr();
    }

    /** The pair furthest from agreeing: lowest cosine first, then lowest PSNR. */
    public static Pair worst(List<Pair> pairs) {
        Pair worst = null;
        for (Pair p : pairs) {
            if (worst == null || p.cosine() < worst.cosine() || (p.cosine() == worst.cosine() && p.psnr() < worst.psnr())) {
                worst = p;
            }
        }
        return worst;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 && nb == 0) {
            return 1;
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    static double relativeL2(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += Math.pow(a[i] - (double) b[i], 2);
            den += Math.pow(b[i], 2);
        }
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }

    /** Largest difference of the two trajectories, relative to the largest |objective|. */
    static double maxRelativeDiff(float[] a, float[] b) {
        double diff = 0, scale = 1e-12;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - (double) b[i]));
            scale = Math.max(scale, Math.max(Math.abs(a[i]), Math.abs(b[i])));
        }
        return diff / scale;
    }

    static int maxAbs(RgbImage a, RgbImage b) {
        int m = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            m = Math.max(m, Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff)));
        }
        return m;
    }

    /** PSNR in dB of 8-bit images; infinite when identical. */
    static double psnr(RgbImage a, RgbImage b) {
        double mse = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            double d = (a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff);
            mse += d * d;
        }
        mse /= a.rgb().length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
    }

    /** Mean SSIM over 8x8 windows (step 4) of the luminance, with the usual constants. */
    static double ssim(RgbImage a, RgbImage b) {
        double c1 = Math.pow(0.01 * 255, 2), c2 = Math.pow(0.03 * 255, 2);
        double total = 0;
        int count = 0;
        for (int y = 0; y + 8 <= a.height(); y += 4) {
            for (int x = 0; x + 8 <= a.width(); x += 4) {
                double ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
                for (int dy = 0; dy < 8; dy++) {
                    for (int dx = 0; dx < 8; dx++) {
                        double la = luma(a, y + dy, x + dx), lb = luma(b, y + dy, x + dx);
                        ma += la;
                        mb += lb;
                        va += la * la;
                        vb += lb * lb;
                        cov += la * lb;
                    }
                }
                ma /= 64;
                mb /= 64;
                va = va / 64 - ma * ma;
                vb = vb / 64 - mb * mb;
                cov = cov / 64 - ma * mb;
                total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
                count++;
            }
        }
        return count == 0 ? 1 : total / count;
    }

    private static double luma(RgbImage img, int y, int x) {
        return 0.299 * img.red(y, x) + 0.587 * img.green(y, x) + 0.114 * img.blue(y, x);
    }
}
