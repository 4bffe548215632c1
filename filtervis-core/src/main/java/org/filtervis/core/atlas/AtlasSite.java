package org.filtervis.core.atlas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The atlas as a static site that works from file:// and any web server, with nothing from
 * elsewhere: index.html (the model, its layers with shapes, channels and progress, a search box),
 * one page per layer (tiles loaded lazily, dead filters marked), one page per filter (its image
 * at full size, its objective curve as SVG, its status): one URL per filter to share.
 */
public final class AtlasSite {
    private static final String STYLE = "<style>body{font-family:sans-serif;margin:16px;background:#fafafa;color:#222}"
            + "table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left;font-size:14px}"
            + ".tiles{display:flex;flex-wrap:wrap;gap:6px}.tile{width:132px;text-align:center;font-size:12px}"
            + ".tile img{width:128px;height:128px;border:2px solid #ccc;display:block}.dead img{border-color:#c03030}"
            + ".missing{width:128px;height:128px;border:2px dashed #bbb;display:flex;align-items:center;justify-content:center;color:#999}"
            + ".dead span,.status-DEAD,.status-NAN,.status-ZERO_GRADIENT{color:#c03030;font-weight:bold}"
            + ".tile img.example{width:128px;height:128px;border:2px solid #8ab;margin-top:4px}.ratio{color:#555}"
            + ".examples{display:flex;flex-wrap:wrap;gap:4px}.ex{position:relative}.ex>img{width:96px;height:96px;display:block}"
            + ".ex .over{display:none;position:absolute;left:0;top:100px;width:256px;height:256px;z-index:2;border:1px solid #333}"
            + ".over img{position:absolute;left:0;top:0;width:256px;height:256px}.ex:hover .over{display:block}"
            + ".views{display:flex;flex-wrap:wrap;gap:12px}.view{margin:0;font-size:13px;text-align:center}</style>";

    /** Counts the images that loaded into body[data-loaded] (and failed into data-failed): what the page tests read. */
    private static final String COUNT_IMAGES = "<script>(function(){var ok=0,bad=0;function done(){document.body.setAttribute('data-loaded',ok);"
            + "document.body.setAttribute('data-failed',bad);}var imgs=document.images;for(var i=0;i<imgs.length;i++){(function(im){"
            + "if(im.complete&&im.naturalWidth>0){ok++;}else{im.addEventListener('load',function(){ok++;done();});"
            + "im.addEventListener('error',function(){bad++;done();});}})(imgs[i]);}done();})();</script>";

    private AtlasSite() {}

    /** One filter's dataset examples: its crops (site-relative), their photos, the recipe's objective on the best photo, and the ratio. */
    record Example(List<String> crops, List<String> photos, double photoObjective, Double ratio) {}

    /** Every filter's examples, by layer and filter, and the number of photos scanned. */
    record Examples(Map<String, Map<Integer, Example>> byLayer, int photos) {}

    /** Writes every page for the layers' chosen filters, from the tiles stored so far. */
    public static void write(String model, Map<String, Object> settings, List<Atlas.Layer> layers, Map<String, List<Integer>> filters,
            TileStore store) throws IOException {
        write(model, settings, layers, filters, store, null, List.of(AtlasView.CHANNEL));
    }

    /** As above, with each filter's dataset examples (null for none) and its other views' tiles on its page. */
    static void write(String model, Map<String, Object> settings, List<Atlas.Layer> layers, Map<String, List<Integer>> filters,
            TileStore store, Examples examples, List<AtlasView> views) throws IOException {
        StringBuilder rows = new StringBuilder();
        int doneAll = 0;
        int totalAll = 0;
        for (Atlas.Layer l : layers) {
            List<Integer> chosen = filters.get(l.name());
            int done = 0;
            int dead = 0;
            StringBuilder tiles = new StringBuilder();
            for (int i = 0; i < chosen.size(); i++) {
                int f = chosen.get(i);
                TileStore.Tile t = store.read(l.name(), f);
                if (t != null) {
                    done++;
                    boolean isDead = !t.status().equals("OK");
                    dead += isDead ? 1 : 0;
                    tiles.append("<div class=\"tile").append(isDead ? " dead" : "").append("\"><a href=\"../filters/").append(TileStore.slug(l.name()))
                            .append("/").append(f).append(".html\"><img loading=\"lazy\" alt=\"filter ").append(f).append("\" src=\"../")
                            .append(store.folder(l.name())).append("/").append(f).append(".png\"></a>").append(f)
                            .append(isDead ? " <span>" + t.status().toLowerCase(Locale.ROOT).replace('_', ' ') + "</span>" : "");
                    Example ex = examples == null ? null : examples.byLayer().get(l.name()).get(f);
                    if (ex != null && !ex.crops().isEmpty()) {
                        // The second row: the photo that excites the filter most, and how the visualization compares.
                        tiles.append("<img class=\"example\" loading=\"lazy\" alt=\"best photo\" title=\"").append(esc(ex.photos().get(0)))
                                .append("\" src=\"../").append(esc(ex.crops().get(0))).append("\">").append(ratio(ex));
                    }
                    tiles.append("</div>\n");
                    filterPage(store.site(), l, f, i > 0 ? chosen.get(i - 1) : null, i + 1 < chosen.size() ? chosen.get(i + 1) : null, t, store,
                            examples == null ? null : examples.byLayer().get(l.name()).get(f), examples == null ? 0 : examples.photos(), views);
                } else {
                    tiles.append("<div class=\"tile\"><div class=\"missing\">not yet</div>").append(f).append("</div>\n");
                }
            }
            doneAll += done;
            totalAll += chosen.size();
            String slug = TileStore.slug(l.name());
            page(store.site(), "layers/" + slug + ".html", l.name(), "<p><a href=\"../index.html\">&larr; " + esc(model) + "</a></p><h1>"
                    + esc(l.name()) + "</h1><p>" + esc(l.opType()) + " " + esc(l.shape().toString()) + ", " + l.channels() + " channels; " + done + " of "
                    + chosen.size() + " filters rendered" + (dead > 0 ? ", " + dead + " dead or without gradient (red)" : "") + "</p>\n<div class=\"tiles\">\n"
                    + tiles + "</div>" + COUNT_IMAGES);
            rows.append("<tr class=\"layer\" data-name=\"").append(esc(l.name().toLowerCase(Locale.ROOT))).append("\"><td><a href=\"layers/").append(slug)
                    .append(".html\">").append(esc(l.name())).append("</a></td><td>").append(esc(l.opType())).append("</td><td>")
                    .append(esc(l.shape().toString())).append("</td><td>").append(l.channels()).append("</td><td>").append(done).append(" / ")
                    .append(chosen.size()).append("</td><td>").append(dead).append("</td></tr>\n");
        }
        StringBuilder about = new StringBuilder("<ul class=\"settings\">");
        settings.forEach((k, v) -> about.append("<li>").append(esc(k)).append(": ").append(esc(String.valueOf(v))).append("</li>"));
        about.append("</ul>");
        page(store.site(), "index.html", "filtervis atlas: " + model, "<h1>" + esc(model) + "</h1><p id=\"progress\">" + doneAll + " of " + totalAll
                + " filters rendered</p>" + about + "<p><input id=\"search\" type=\"search\" placeholder=\"search layers\" autofocus></p>\n"
                + "<table><tr><th>layer</th><th>op</th><th>shape</th><th>channels</th><th>rendered</th><th>dead</th></tr>\n" + rows + "</table>\n"
                + "<script>(function(){var box=document.getElementById('search');function apply(){var q=box.value.toLowerCase();var shown=0;"
                + "document.querySelectorAll('tr.layer').forEach(function(r){var on=r.getAttribute('data-name').indexOf(q)>=0;r.style.display=on?'':'none';"
                + "if(on)shown++;});document.body.setAttribute('data-shown',shown);}box.addEventListener('input',apply);"
                + "var m=/[#&]q=([^&]*)/.exec(location.hash);if(m){box.value=decodeURIComponent(m[1]);}apply();})();</script>");
    }

    /** The visualization's objective over the best photo's, as shown under a tile. */
    private static String ratio(Example ex) {
        return ex.ratio() == null ? "" : String.format(Locale.ROOT, "<div class=\"ratio\" title=\"the visualization's objective over its best"
                + " photo's\">%.3g&times; best photo</div>", ex.ratio());
    }

    private static String examplesSection(Example ex, int photos) {
        if (ex == null) {
            return "";
        }
        StringBuilder s = new StringBuilder("<h2>Dataset examples</h2><p>The " + ex.crops().size() + " photos of " + photos
                + " that excite this filter most (the crop its maximum sees; hover for the activation map)");
        if (ex.ratio() != null) {
            s.append(String.format(Locale.ROOT, "; the visualization's objective is %.3g times the best photo's (%.4g)", ex.ratio(), ex.photoObjective()));
        }
        s.append(".</p><div class=\"examples\">");
        for (int r = 0; r < ex.crops().size(); r++) {
            String crop = ex.crops().get(r);
            s.append("<div class=\"ex\" title=\"").append(esc(ex.photos().get(r))).append("\"><img alt=\"example\" src=\"../../").append(esc(crop))
                    .append("\"><div class=\"over\"><img alt=\"photo\" src=\"../../examples/")
                    .append(esc(org.filtervis.core.photos.ExamplesJob.photoFile(ex.photos().get(r)))).append("\"><img alt=\"map\" src=\"../../")
                    .append(esc(crop.replace(".png", "_map.png"))).append("\"></div></div>");
        }
        return s.append("</div>").toString();
    }

    /** The filter's other views stored so far, each with its caption and status. */
    private static String viewsSection(Atlas.Layer l, int f, TileStore store, List<AtlasView> views) {
        StringBuilder s = new StringBuilder();
        for (AtlasView v : views) {
            TileStore tiles = store.view(v);
            TileStore.Tile t = v == AtlasView.CHANNEL ? null : tiles.read(l.name(), f);
            if (t == null) {
                continue;
            }
            s.append("<figure class=\"view view-").append(v.word()).append("\"><img alt=\"").append(v.caption()).append("\" src=\"../../")
                    .append(tiles.folder(l.name())).append("/").append(f).append(".png\" style=\"height:192px\"><figcaption>").append(v.caption())
                    .append(t.status().equals("OK") ? "" : " <span class=\"status-" + t.status() + "\">" + t.status() + "</span>")
                    .append("</figcaption></figure>");
        }
        return s.isEmpty() ? "" : "<h2>Other views</h2><div class=\"views\">" + s + "</div>";
    }

    private static void filterPage(SiteFiles site, Atlas.Layer l, int f, Integer previous, Integer next, TileStore.Tile t, TileStore store, Example ex,
            int photos, List<AtlasView> views) throws IOException {
        String slug = TileStore.slug(l.name());
        StringBuilder nav = new StringBuilder("<p><a href=\"../../layers/" + slug + ".html\">&larr; " + esc(l.name()) + "</a>");
        if (previous != null) {
            nav.append(" &middot; <a href=\"").append(previous).append(".html\">filter ").append(previous).append("</a>");
        }
        if (next != null) {
            nav.append(" &middot; <a href=\"").append(next).append(".html\">filter ").append(next).append("</a>");
        }
        nav.append("</p>");
        page(site, "filters/" + slug + "/" + f + ".html", l.name() + " filter " + f, nav + "<h1>" + esc(l.name()) + ", filter " + f
                + "</h1><p>status: <span class=\"status-" + t.status() + "\">" + t.status() + "</span></p><img alt=\"filter " + f + "\" src=\"../../"
                + store.folder(l.name()) + "/" + f + ".png\" style=\"max-width:100%\">" + viewsSection(l, f, store, views) + examplesSection(ex, photos)
                + "<h2>Objective by step</h2>"
                + curve(t.objectives()) + COUNT_IMAGES);
    }

    /** The objective before each step as an SVG line, with its range written beside it. */
    static String curve(float[] v) {
        int w = 480;
        int h = 160;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (float x : v) {
            if (Float.isFinite(x)) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
        }
        if (!(hi >= lo)) {
            return "<p>no finite objective</p>";
        }
        double span = hi > lo ? hi - lo : 1;
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (Float.isFinite(v[i])) {
                double x = v.length == 1 ? 0 : (double) i * w / (v.length - 1);
                double y = h - (v[i] - lo) / span * h;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
        }
        return String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"-4 -4 %d %d\"><rect x=\"-4\" y=\"-4\" width=\"%d\" height=\"%d\""
                + " fill=\"white\" stroke=\"#ccc\"/><polyline fill=\"none\" stroke=\"#2060c0\" stroke-width=\"2\" points=\"%s\"/></svg>"
                + "<p>from %.4g to %.4g over %d steps (min %.4g, max %.4g)</p>", w + 8, h + 8, w + 8, h + 8, w + 8, h + 8, points.toString().strip(),
                v[0], v[v.length - 1], v.length, lo, hi);
    }

    private static void page(SiteFiles site, String file, String title, String body) throws IOException {
        String html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>" + STYLE + "</head>\n"
                + "<body data-loaded=\"0\" data-failed=\"0\">\n" + body + "\n</body></html>\n";
        byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
        site.write(file, bytes);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
