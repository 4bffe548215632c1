package org.filtervis.core.photos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.filtervis.api.Differentiator;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.ReceptiveField;
import org.filtervis.api.RgbImage;
import org.filtervis.core.io.AtomicFiles;
import org.filtervis.core.io.IoMessages;
import org.filtervis.core.io.PngSinks;
import org.filtervis.core.lucid.InputRange;

/**
 * The pictures and page of a scan: for every example kept, the crop of its photo that the
 * maximum's position sees (its receptive field from the graph, clipped to the photo; the whole
 * photo where the backend cannot tell), and the channel's activation map at the layer's own
 * resolution, coloured with an alpha, which the page lays over the photo (each kept photo written
 * once, as the network saw it). A second pass reads only the photos that were kept.
 * {@code index.html} shows each channel's top and bottom crops in a row; hovering a crop shows the
 * photo with its map.
 */
final class ExamplesPages {
    /** Side of a crop as written. */
    static final int CROP = 64;

    private record Ref(String layer, int channel, String end, int rank, TopK.Example example) {}

    private ExamplesPages() {}

    /** A kept photo as the network saw it, relative to the output: named by a hash of its path, so any page can find it. */
    public static String photoFile(String image) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(image.getBytes(StandardCharsets.UTF_8));
            return "photos/" + java.util.HexFormat.of().formatHex(h, 0, 8) + ".png";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The file of an example's crop ({@code _map.png} for its map), relative to the output. */
    static String file(String layer, int channel, String end, int rank) {
        return PngSinks.fileName(layer) + "/c" + channel + "-" + end + rank;
    }

    static void write(Path out, PhotoSource images, Map<String, ExamplesJob.Scanned> layers, Map<String, Optional<ReceptiveField>> fields, Differentiator d,
            int px, InputRange range, int atOnce, Consumer<String> notes) {
        Map<String, List<Ref>> byPhoto = new TreeMap<>();
        for (var e : layers.entrySet()) {
            ExamplesJob.Scanned s = e.getValue();
            for (int c = 0; c < s.top().length; c++) {
                for (String end : List.of("top", "bottom")) {
                    List<TopK.Example> kept = (end.equals("top") ? s.top() : s.bottom())[c].best();
                    for (int r = 0; r < kept.size(); r++) {
                        byPhoto.computeIfAbsent(kept.get(r).image(), k -> new ArrayList<>()).add(new Ref(e.getKey(), c, end, r, kept.get(r)));
                    }
                }
            }
        }
        try {
            for (String layer : layers.keySet()) {
                Files.createDirectories(out.resolve(PngSinks.fileName(layer)));
            }
            Files.createDirectories(out.resolve("photos"));
            List<String> names = new ArrayList<>(byPhoto.keySet());
            int per = d.input().elements();
            for (int start = 0; start < names.size(); start += atOnce) {
                List<String> chunk = names.subList(start, Math.min(names.size(), start + atOnce));
                float[] x = new float[chunk.size() * per];
                List<float[]> rgbs = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    float[] rgb = Photos.read(images.read(chunk.get(i)), chunk.get(i), px);
                    rgbs.add(rgb);
                    System.arraycopy(Photos.modelInput(rgb, px, range, d.input().withSize(px, px)), 0, x, i * per, per);
                }
                Map<String, float[]> acts = d.activations(x, chunk.size());
                for (int i = 0; i < chunk.size(); i++) {
                    PngSinks.write(Heatmaps.photo(rgbs.get(i), px), out.resolve(photoFile(chunk.get(i))));
                    for (Ref ref : byPhoto.get(chunk.get(i))) {
                        long[] shape = layers.get(ref.layer()).shape();
                        int h = (int) shape[1];
                        int w = (int) shape[2];
                        float[] map = Arrays.copyOfRange(acts.get(ref.layer()), (i * (int) shape[0] + ref.channel()) * h * w,
                                (i * (int) shape[0] + ref.channel() + 1) * h * w);
                        String base = file(ref.layer(), ref.channel(), ref.end(), ref.rank());
                        int[] box = fields.get(ref.layer()).map(f -> f.box(ref.example().y(), ref.example().x(), px, px))
                                .orElse(new int[] {0, 0, px - 1, px - 1});
                        PngSinks.write(crop(rgbs.get(i), px, box), out.resolve(base + ".png"));
                        byte[] png = heat(positive(map), h, w);
                        AtomicFiles.write(out.resolve(base + "_map.png"), o -> o.write(png));
                    }
                }
            }
            byte[] html = page(layers, fields).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(out.resolve("index.html"), o -> o.write(html));
        } catch (IOException e) {
            throw FiltervisException.failure("cannot write the examples' pictures in " + out + " (" + IoMessages.describe(e) + "); choose a writable --out");
        }
        long unknown = fields.values().stream().filter(Optional::isEmpty).count();
        if (unknown > 0) {
            notes.accept("the backend cannot tell the receptive fields of " + unknown + " layers; their crops are the whole photos");
        }
    }

    /** The box {top, left, bottom, right} of a CHW photo, resized to {@link #CROP} square. */
    static RgbImage crop(float[] rgb, int px, int[] box) {
        int bh = box[2] - box[0] + 1;
        int bw = box[3] - box[1] + 1;
        float[] out = new float[3 * CROP * CROP];
        for (int c = 0; c < 3; c++) {
            float[] part = new float[bh * bw];
            for (int y = 0; y < bh; y++) {
                System.arraycopy(rgb, c * px * px + (box[0] + y) * px + box[1], part, y * bw, bw);
            }
            System.arraycopy(Heatmaps.upsample(part, bh, bw, CROP, CROP), 0, out, c * CROP * CROP, CROP * CROP);
        }
        return Heatmaps.photo(out, CROP);
    }

    /** A map in [0, 1] as an RGBA PNG of its own size: the heat colours, opaque where strong, clear where zero (the page scales it). */
    static byte[] heat(float[] v, int h, int w) throws IOException {
        java.awt.image.BufferedImage b = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_ARGB);
        for (int p = 0; p < h * w; p++) {
            int alpha = (int) Math.round(255 * 0.75 * Math.sqrt(v[p]));
            b.setRGB(p % w, p / w, alpha << 24 | Heatmaps.colour(v[p]) & 0xffffff);
        }
        return PngSinks.png(b);
    }

    /** The map's positive part over its maximum, into [0, 1] (all zero stays zero). */
    private static float[] positive(float[] map) {
        float top = 0;
        for (float v : map) {
            top = Math.max(top, v);
        }
        float[] out = new float[map.length];
        for (int i = 0; i < map.length && top > 0; i++) {
            out[i] = Math.max(0, map[i]) / top;
        }
        return out;
    }

    private static String page(Map<String, ExamplesJob.Scanned> layers, Map<String, Optional<ReceptiveField>> fields) {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>filtervis examples</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:16px;background:#fafafa}.row{display:flex;align-items:center;gap:4px;margin:2px 0}")
                .append(".label{width:110px;font-size:13px}.ex{position:relative;width:64px;height:64px}.ex>img{width:64px;height:64px;display:block}")
                .append(".ex .over{display:none;position:absolute;left:0;top:70px;width:224px;height:224px;z-index:2;border:1px solid #333}")
                .append(".over img{position:absolute;left:0;top:0;width:224px;height:224px}.ex:hover .over{display:block}")
                .append(".sep{width:16px}.meta{color:#555;font-size:13px}\n</style></head>\n")
                .append("<body data-loaded=\"0\" data-failed=\"0\">\n<h1>Dataset examples</h1>\n");
        for (var e : layers.entrySet()) {
            String layer = e.getKey();
            s.append("<h2>").append(esc(layer)).append("</h2>\n<p class=\"meta\">").append(fields.get(layer).map(f -> "crops: each example's"
                    + " receptive field (" + (f.hiY() - f.loY() + 1) + " px, stride " + f.strideY() + ")").orElse("crops: the whole photos"))
                    .append("; hover a crop for the photo with the channel's activation map</p>\n");
            ExamplesJob.Scanned sc = e.getValue();
            for (int c = 0; c < sc.top().length; c++) {
                s.append("<div class=\"row\"><div class=\"label\">channel ").append(c).append("</div>");
                for (String end : List.of("top", "bottom")) {
                    if (end.equals("bottom") && !sc.bottom()[c].best().isEmpty()) {
                        s.append("<div class=\"sep\"></div>");
                    }
                    List<TopK.Example> kept = (end.equals("top") ? sc.top() : sc.bottom())[c].best();
                    for (int r = 0; r < kept.size(); r++) {
                        String base = esc(file(layer, c, end, r));
                        s.append("<div class=\"ex\" title=\"").append(esc(kept.get(r).image())).append(" ").append(kept.get(r).value())
                                .append("\"><img loading=\"lazy\" src=\"").append(base).append(".png\" alt=\"").append(end).append("\"><div class=\"over\">")
                                .append("<img loading=\"lazy\" src=\"").append(esc(photoFile(kept.get(r).image()))).append("\" alt=\"photo\">")
                                .append("<img loading=\"lazy\" src=\"").append(base).append("_map.png\" alt=\"map\"></div></div>");
                    }
                }
                s.append("</div>\n");
            }
        }
        s.append("<script>\n(function(){var imgs=document.images,ok=0,bad=0;")
                .append("function done(){document.body.setAttribute('data-loaded',ok);document.body.setAttribute('data-failed',bad);}")
                .append("for(var i=0;i<imgs.length;i++){var im=imgs[i];im.loading='eager';if(im.complete&&im.naturalWidth>0){ok++;}else{")
                .append("im.addEventListener('load',function(){ok++;done();});im.addEventListener('error',function(){bad++;done();});}}done();})();\n")
                .append("</script>\n</body></html>\n");
        return s.toString();
    }

    private static String esc(String v) {
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
