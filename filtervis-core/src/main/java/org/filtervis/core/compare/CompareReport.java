package org.filtervis.core.compare;

import org.filtervis.core.io.AtomicFiles;
import org.filtervis.core.io.Json;
import org.filtervis.core.io.PngSinks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.filtervis.api.FilterResult;
import org.filtervis.api.RgbImage;

/** Writes compare.json, compare.png and a self-contained report.html for a {@link Comparison}. */
public final class CompareReport {
    private CompareReport() {}

    public static void write(Path dir, Map<String, Object> settings, List<Comparison.Run> runs, List<String> skipped,
            List<Comparison.Pair> pairs, Comparison.Tolerance tolerance) throws IOException {
        RgbImage grid = grid(runs);
        PngSinks.write(grid, dir.resolve("compare.png"));
        byte[] json = Json.write(json(settings, runs, skipped, pairs, tolerance)).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve("compare.json"), out -> out.write(json));
        byte[] html = html(settings, runs, skipped, pairs, tolerance, PngSinks.encode(grid)).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve("report.html"), out -> out.write(html));
    }

    /** One row per backend, one column per filter, then the difference of the first two, times 8. */
    static RgbImage grid(List<Comparison.Run> runs) {
        List<RgbImage> tiles = new ArrayList<>();
        runs.forEach(r -> r.results().forEach(f -> tiles.add(f.image())));
        int cols = runs.get(0).results().size();
        if (runs.size() >= 2) {
            for (int k = 0; k < cols; k++) {
                RgbImage a = runs.get(0).results().get(k).image();
                RgbImage b = runs.get(1).results().get(k).image();
                byte[] d = new byte[a.rgb().length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = (byte) Math.min(255, 8 * Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff)));
                }
                tiles.add(new RgbImage(a.width(), a.height(), d));
            }
        }
        return PngSinks.tiles(tiles, cols);
    }

    static Map<String, Object> json(Map<String, Object> settings, List<Comparison.Run> runs, List<String> skipped, List<Comparison.Pair> pairs,
            Comparison.Tolerance tolerance) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", settings);
        // Ordered maps: Map.of's order changes from one JVM to the next, and the file must not.
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("cosine", tolerance.cosine());
        limits.put("psnr_db", tolerance.psnr());
        root.put("tolerance", limits);
        root.put("skipped", skipped);
        List<Object> backends = new ArrayList<>();
        for (Comparison.Run r : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backend", r.backend());
            m.put("version", r.version());
            m.put("seconds_per_step", r.secondsPerStep());
            List<Object> filters = new ArrayList<>();
            for (FilterResult f : r.results()) {
                Map<String, Object> fm = new LinkedHashMap<>();
                fm.put("filter", f.filter());
                fm.put("status", f.status().name().toLowerCase(Locale.ROOT));
                fm.put("objectives", f.objectives());
                filters.add(fm);
            }
            m.put("filters", filters);
            backends.add(m);
        }
        root.put("backends", backends);
        List<Object> list = new ArrayList<>();
        for (Comparison.Pair p : pairs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pair", p.a() + "/" + p.b());
            m.put("filter", p.filter());
            m.put("step0_gradient_cosine", p.cosine());
            m.put("step0_gradient_relative_l2", p.relativeL2());
            m.put("objective_max_relative_difference", p.objectiveDiff());
            m.put("image_max_abs", p.maxAbs());
            // Identical images have an infinite PSNR: null here, with images_identical true.
            m.put("image_psnr_db", p.psnr());
            m.put("images_identical", p.maxAbs() == 0);
            m.put("image_ssim", p.ssim());
            m.put("agrees", Comparison.agrees(p, tolerance));
            list.add(m);
        }
        root.put("pairs", list);
        Comparison.Pair worst = Comparison.worst(pairs);
        root.put("agree", pairs.stream().allMatch(p -> Comparison.agrees(p, tolerance)));
        if (worst != null) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("pair", worst.a() + "/" + worst.b());
            w.put("filter", worst.filter());
            root.put("worst", w);
        }
        return root;
    }

    private static String fmt(double v) {
        return Double.isInfinite(v) ? "&infin;" : String.format(Locale.ROOT, "%.6g", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static String html(Map<String, Object> settings, List<Comparison.Run> runs, List<String> skipped, List<Comparison.Pair> pairs,
            Comparison.Tolerance tolerance, byte[] gridPng) {
        StringBuilder h = new StringBuilder();
        boolean agree = pairs.stream().allMatch(p -> Comparison.agrees(p, tolerance));
        h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>filtervis compare</title><style>")
                .append("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:3px 8px;")
                .append("text-align:right}th{background:#eee}.bad{background:#fbb}.ok{background:#cfc}svg{border:1px solid #ccc;margin:4px}")
                .append("</style></head><body>\n<h1>filtervis: the same recipe on ").append(runs.size()).append(" backends</h1>\n");
        h.append("<p id=\"verdict\" class=\"").append(agree ? "ok" : "bad").append("\">")
                .append(agree ? "All pairs agree" : "Some pairs disagree").append(" (cosine &ge; ").append(tolerance.cosine())
                .append(", PSNR &ge; ").append(tolerance.psnr()).append(" dB).</p>\n<p>");
        settings.forEach((k, v) -> h.append(esc(k)).append(": ").append(esc(String.valueOf(v))).append("; "));
        h.append("</p>\n");
        for (String s : skipped) {
            h.append("<p class=\"bad\">skipped: ").append(esc(s)).append("</p>\n");
        }
        h.append("<h2>Images</h2><p>Rows: ");
        runs.forEach(r -> h.append(esc(r.backend())).append(", "));
        h.append(runs.size() >= 2 ? "then |" + esc(runs.get(0).backend()) + " &minus; " + esc(runs.get(1).backend()) + "| &times; 8" : "")
                .append(". Columns: filters ");
        runs.get(0).results().forEach(f -> h.append(f.filter()).append(' '));
        h.append("</p>\n<img id=\"grid\" alt=\"side by side\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(gridPng)).append("\">\n");
        h.append("<h2>Agreement</h2>\n<table id=\"agreement\"><tr><th>pair</th><th>filter</th><th>step-0 gradient cosine</th>")
                .append("<th>relative L2</th><th>objective max rel. diff</th><th>image max abs</th><th>PSNR dB</th><th>SSIM</th></tr>\n");
        for (Comparison.Pair p : pairs) {
            h.append("<tr class=\"").append(Comparison.agrees(p, tolerance) ? "ok" : "bad").append("\"><td>").append(esc(p.a() + "/" + p.b()))
                    .append("</td><td>").append(p.filter()).append("</td><td>").append(fmt(p.cosine())).append("</td><td>")
                    .append(fmt(p.relativeL2())).append("</td><td>").append(fmt(p.objectiveDiff())).append("</td><td>").append(p.maxAbs())
                    .append("</td><td>").append(fmt(p.psnr())).append("</td><td>").append(fmt(p.ssim())).append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Objective per step</h2>\n");
        String[] colours = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
        for (int k = 0; k < runs.get(0).results().size(); k++) {
            double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
            for (Comparison.Run r : runs) {
                for (float v : r.results().get(k).objectives()) {
                    if (Float.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            double span = hi > lo ? hi - lo : 1;
            h.append("<svg width=\"260\" height=\"150\" viewBox=\"0 0 260 150\"><text x=\"5\" y=\"14\" font-size=\"12\">filter ")
                    .append(runs.get(0).results().get(k).filter()).append("</text>");
            for (int ri = 0; ri < runs.size(); ri++) {
                float[] o = runs.get(ri).results().get(k).objectives();
                h.append("<polyline fill=\"none\" stroke-width=\"").append(ri == 0 ? 3 : 1.5).append("\" stroke=\"").append(colours[ri % colours.length])
                        .append("\" points=\"");
                for (int i = 0; i < o.length; i++) {
                    double x = 10 + 240.0 * i / Math.max(1, o.length - 1);
                    double y = 140 - 115 * (Float.isFinite(o[i]) ? (o[i] - lo) / span : 0);
                    h.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                }
                h.append("\"/>");
            }
            h.append("</svg>\n");
        }
        h.append("<p>");
        for (int ri = 0; ri < runs.size(); ri++) {
            h.append("<span style=\"color:").append(colours[ri % colours.length]).append("\">&#9632; ").append(esc(runs.get(ri).backend()))
                    .append("</span> ");
        }
        h.append("</p>\n<h2>Timings</h2>\n<table id=\"timings\"><tr><th>backend</th><th>version</th><th>seconds per step</th></tr>\n");
        for (Comparison.Run r : runs) {
            h.append("<tr><td>").append(esc(r.backend())).append("</td><td>").append(esc(r.version())).append("</td><td>")
                    .append(fmt(r.secondsPerStep())).append("</td></tr>\n");
        }
        h.append("</table>\n</body></html>\n");
        return h.toString();
    }
}
