package org.filtervis.core.explain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table of one photo and class on explain's page: a row per method, a column per metric
 * (deletion's and insertion's curves as small plots beside their areas), the best value of each
 * column marked, and the arrow saying which way is better.
 */
final class MetricsTable {
    static final String STYLE = "table.eval{margin:4px auto 12px auto;border:1px solid #ccc}table.eval td,table.eval th{font-size:12px;padding:2px 8px;white-space:nowrap;"
            + "position:static}table.eval td.best{font-weight:bold;background:#dff0d8}table.eval svg{display:inline-block;vertical-align:middle}"
            + "table.eval td.insensitive{color:#c03030}";

    /** A column: the key in "metrics", its heading, whether higher is better, and the curve drawn beside it (or null). */
    private record Column(String key, String heading, boolean higherBetter, String curve) {}

    private static final List<Column> COLUMNS = List.of(
            new Column("deletion_auc", "deletion AUC &darr;", false, "deletion_curve"),
            new Column("insertion_auc", "insertion AUC &uarr;", true, "insertion_curve"),
            new Column("mufidelity", "MuFidelity &uarr;", true, null),
            new Column("road", "ROAD (LeRF - MoRF) / 2 &uarr;", true, null),
            new Column("sensitivity_max", "max-sensitivity &darr;", false, null));

    private MetricsTable() {}

    /** The table for one photo and class's results, or "" when none has metrics. */
    static String html(List<Attributor.Result> results) {
        List<Attributor.Result> measured = new ArrayList<>();
        for (Attributor.Result r : results) {
            if (r.details().get("metrics") instanceof Map<?, ?>) {
                measured.add(r);
            }
        }
        if (measured.isEmpty()) {
            return "";
        }
        List<Column> shown = COLUMNS.stream().filter(c -> measured.stream().anyMatch(r -> metrics(r).containsKey(c.key()))).toList();
        StringBuilder s = new StringBuilder("<table class=\"eval\"><tr><th>method</th>");
        for (Column c : shown) {
            s.append("<th>").append(c.heading()).append("</th>");
        }
        boolean randomized = measured.stream().anyMatch(r -> metrics(r).containsKey("randomization"));
        if (randomized) {
            s.append("<th title=\"Spearman's rank correlation with the trained model's map as the top blocks are re-drawn\">randomisation &rho;</th>");
        }
        s.append("</tr>");
        for (Attributor.Result r : measured) {
            s.append("<tr><td>").append(ExplainPage.esc(r.method().cliName())).append("</td>");
            for (Column c : shown) {
                Object v = metrics(r).get(c.key());
                boolean best = v instanceof Double d && Double.isFinite(d) && isBest(measured, c, d);
                s.append("<td class=\"").append(c.key()).append(best ? " best" : "").append("\">");
                if (c.curve() != null && metrics(r).get(c.curve()) instanceof List<?> curve) {
                    s.append(sparkline(curve)).append(' ');
                }
                s.append(v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : "&ndash;").append("</td>");
            }
            if (randomized) {
                s.append(randomizationCell(metrics(r)));
            }
            s.append("</tr>");
        }
        return s.append("</table>").toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metrics(Attributor.Result r) {
        return (Map<String, Object>) r.details().get("metrics");
    }

    private static boolean isBest(List<Attributor.Result> rows, Column c, double v) {
        for (Attributor.Result r : rows) {
            if (metrics(r).get(c.key()) instanceof Double o && Double.isFinite(o) && (c.higherBetter() ? o > v : o < v)) {
                return false;
            }
        }
        return true;
    }

    /** The correlations as the top blocks are re-drawn (a curve from -1 to 1), and the verdict. */
    private static String randomizationCell(Map<String, Object> m) {
        if (!(m.get("randomization") instanceof List<?> levels)) {
            return "<td></td>";
        }
        List<Double> rho = new ArrayList<>();
        for (Object o : levels) {
            Object v = o instanceof Map<?, ?> level ? level.get("spearman") : null;
            rho.add(v instanceof Double d && Double.isFinite(d) ? (d + 1) / 2 : 0.5);
        }
        boolean depends = Boolean.TRUE.equals(m.get("depends_on_weights"));
        return "<td class=\"randomization" + (depends ? "" : " insensitive") + "\">" + sparkline(rho) + (depends ? " changes with the weights"
                : " <b>does not depend on the weights</b>") + "</td>";
    }

    /** A curve of scores in [0, 1] as a 80 x 24 polyline. */
    private static String sparkline(List<?> curve) {
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < curve.size(); i++) {
            double y = curve.get(i) instanceof Double d && Double.isFinite(d) ? d : 0;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", curve.size() == 1 ? 0 : 80.0 * i / (curve.size() - 1), 24 - 24 * Math.max(0, Math.min(1, y))));
        }
        return "<svg width=\"80\" height=\"24\" viewBox=\"0 0 80 24\"><rect width=\"80\" height=\"24\" fill=\"white\" stroke=\"#ddd\"/>"
                + "<polyline fill=\"none\" stroke=\"#2060c0\" stroke-width=\"1.5\" points=\"" + points.toString().strip() + "\"/></svg>";
    }
}
