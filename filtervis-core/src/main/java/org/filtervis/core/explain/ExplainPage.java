package org.filtervis.core.explain;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The run's index.html: one row per photo and class, the photo then every method's overlay side by
 * side, each linking to its heat map. Self-contained (no scripts or styles from elsewhere); a small
 * script counts the images that loaded into {@code body[data-loaded]}, which the tests read.
 */
final class ExplainPage {
    private ExplainPage() {}

    static String html(List<ExplainRun.Explained> all, List<String> labels, Map<String, Object> record) {
        LinkedHashSet<Method> methods = new LinkedHashSet<>();
        for (ExplainRun.Explained e : all) {
            for (Attributor.Result r : e.results()) {
                methods.add(r.method());
            }
        }
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>filtervis explain</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:16px;background:#fafafa}table{border-collapse:collapse}")
                .append("td,th{padding:4px;text-align:center;vertical-align:top;font-size:13px}img{width:160px;height:160px;display:block}")
                .append("th{position:sticky;top:0;background:#fafafa}.meta{color:#555;font-size:13px}"
                + MetricsTable.STYLE + "\n</style></head>\n<body data-loaded=\"0\" data-failed=\"0\">\n");
        s.append("<h1>Why the model said that</h1>\n<p class=\"meta\">").append(esc(String.valueOf(record.get("model"))))
                .append(" &middot; backend ").append(esc(String.valueOf(record.get("backend"))))
                .append(" &middot; layer ").append(esc(String.valueOf(record.get("layer"))))
                .append(" &middot; scores ").append(esc(String.valueOf(record.get("scores")))).append("</p>\n");
        s.append("<table>\n<tr><th>photo</th>");
        for (Method m : methods) {
            s.append("<th>").append(esc(m.cliName())).append("</th>");
        }
        s.append("</tr>\n");
        for (ExplainRun.Explained e : all) {
            for (int k : e.classes()) {
                String dir = e.folder() + "/";
                s.append("<tr class=\"row\"><td><img src=\"").append(esc(dir)).append("photo.png\" alt=\"photo\"><div>")
                        .append(esc(e.photo().file().getFileName().toString())).append("</div><div><b>").append(esc(ExplainRun.label(labels, k)))
                        .append("</b> ").append(scoreText(e.scores(), k, record)).append("</div><div><a href=\"").append(esc(dir))
                        .append("explain.json\">explain.json</a></div></td>");
                List<Attributor.Result> forK = new ArrayList<>();
                for (Attributor.Result r : e.results()) {
                    if (r.classIndex() == k) {
                        forK.add(r);
                    }
                }
                for (Method m : methods) {
                    s.append("<td>");
                    for (Attributor.Result r : forK) {
                        if (r.method() == m) {
                            String stem = ExplainRun.stem(r);
                            s.append("<a href=\"").append(esc(dir + stem)).append("_heat.png\"><img src=\"").append(esc(dir + stem))
                                    .append("_overlay.png\" alt=\"").append(esc(m.cliName())).append("\"></a>");
                        }
                    }
                    s.append("</td>");
                }
                s.append("</tr>\n");
                String metrics = MetricsTable.html(forK);
                if (!metrics.isEmpty()) {
                    s.append("<tr class=\"metrics\"><td colspan=\"").append(methods.size() + 1).append("\">").append(metrics).append("</td></tr>\n");
                }
            }
        }
        s.append("</table>\n<script>\n(function(){var imgs=document.images,ok=0,bad=0;")
                .append("function done(){document.body.setAttribute('data-loaded',ok);document.body.setAttribute('data-failed',bad);}")
                .append("for(var i=0;i<imgs.length;i++){var im=imgs[i];if(im.complete){if(im.naturalWidth>0)ok++;else bad++;}else{")
                .append("im.addEventListener('load',function(){ok++;done();});im.addEventListener('error',function(){bad++;done();});}}done();})();\n")
                .append("</script>\n</body></html>\n");
        return s.toString();
    }

    private static String scoreText(float[] scores, int k, Map<String, Object> record) {
        boolean probabilities = Boolean.TRUE.equals(record.get("scores_are_probabilities"));
        double p = probabilities ? scores[k] : Attributor.softmax(scores, 0, scores.length, k);
        return ExplainRun.percent(p);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
