package org.filtervis.core.atlas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.filtervis.api.FilterResult;
import org.filtervis.core.io.Json;
import org.filtervis.core.io.PngSinks;

/**
 * The atlas's tiles on disk: {@code SITE/tiles/<layer>/<key>/<filter>.png} and {@code .json} (its
 * status and objective curve), where the key is a hash of every setting that shapes the image, so
 * a rerun with the same settings finds its tiles and one with other settings renders its own.
 * Each file is written whole (a temporary file, then a rename), the .json last, holding the PNG's
 * SHA-256: a tile is there only when its .json reads and its PNG has that hash, so a deleted,
 * truncated or replaced file makes the tile render again on resume.
 */
public final class TileStore {
    /** One stored tile: its status and objective before each step. */
    public record Tile(int filter, String status, float[] objectives) {}

    private static final Pattern STATUS = Pattern.compile("\"status\": \"([A-Z_]+)\"");
    private static final Pattern PNG_SHA256 = Pattern.compile("\"png_sha256\": \"([0-9a-f]{64})\"");
    /** A tile's PNG is far below this; a larger file is not one of ours. */
    private static final int MAX_PNG_BYTES = 200_000_000;
    private static final Pattern OBJECTIVES = Pattern.compile("\"objectives\": \\[([^\\]]*)\\]");

    private final SiteFiles site;
    private final String key;

    public TileStore(SiteFiles site, String key) {
        this.site = site;
        this.key = key;
    }

    /** A hash of the settings, as the key of a set of tiles. */
    public static String key(Map<String, Object> settings) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Json.write(settings).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String key() {
        return key;
    }

    /** The tiles of one view: the channel's are these; another view's sit beside them, in a folder named by the key and the view. */
    public TileStore view(AtlasView v) {
        return v == AtlasView.CHANNEL ? this : new TileStore(site, key + "-" + v.word());
    }

    /** A file-name form of a layer name, unique: unsafe characters replaced, and a short hash added when any was. */
    public static String slug(String layer) {
        String safe = layer.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.equals(layer) && !safe.startsWith(".")) {
            return safe;
        }
        return safe.replaceAll("^[._]+", "") + "-" + key(Map.of("layer", layer)).substring(0, 6);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tile folder of a layer, relative to the site. */
    public String folder(String layer) {
        return "tiles/" + slug(layer) + "/" + key;
    }

    public SiteFiles site() {
        return site;
    }

    /** Whether the tile is stored whole: its .json readable and its PNG the one the .json names. */
    public boolean has(String layer, int filter) {
        return read(layer, filter) != null;
    }

    public void write(FilterResult r) throws IOException {
        String dir = folder(r.layer()) + "/";
        byte[] png = PngSinks.encode(r.image());
        site.write(dir + r.filter() + ".png", png);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("layer", r.layer());
        meta.put("filter", r.filter());
        meta.put("status", r.status().name());
        meta.put("objectives", r.objectives());
        meta.put("png_sha256", sha256(png));
        byte[] bytes = Json.write(meta).getBytes(StandardCharsets.UTF_8);
        site.write(dir + r.filter() + ".json", bytes);
    }

    /** The stored tile, or null when it is missing or unreadable (then it is rendered again). */
    public Tile read(String layer, int filter) {
        try {
            byte[] bytes = site.read(folder(layer) + "/" + filter + ".json", 10_000_000);
            if (bytes == null) {
                return null;
            }
            String text = new String(bytes, StandardCharsets.UTF_8);
            Matcher s = STATUS.matcher(text);
            Matcher o = OBJECTIVES.matcher(text);
            Matcher h = PNG_SHA256.matcher(text);
            // The .json must be this tile's: its layer and filter, not another's copied here.
            boolean ours = text.contains("\"filter\": " + filter + ",") && text.contains("\"layer\": " + Json.write(layer).strip() + ",");
            if (!ours || !s.find() || !o.find() || !h.find()) {
                return null;
            }
            byte[] png = site.read(folder(layer) + "/" + filter + ".png", MAX_PNG_BYTES);
            if (png == null || !sha256(png).equals(h.group(1))) {
                return null;
            }
            List<String> parts = o.group(1).isBlank() ? List.of() : List.of(o.group(1).split(","));
            float[] objectives = new float[parts.size()];
            for (int i = 0; i < objectives.length; i++) {
                String v = parts.get(i).strip();
                objectives[i] = v.equals("null") ? Float.NaN : Float.parseFloat(v); // non-finite values are written as null
            }
            return new Tile(filter, s.group(1), objectives);
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }
}
