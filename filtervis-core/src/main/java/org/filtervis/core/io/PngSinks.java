package org.filtervis.core.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.filtervis.api.FilterResult;
import org.filtervis.api.ImageSink;
import org.filtervis.api.RgbImage;
import org.filtervis.api.RunRecord;

/** The PNG outputs: one file per filter as it finishes, and the stitched grid at the end. */
public final class PngSinks {
    /** Space between tiles and around the grid, as in the Keras example. */
    public static final int MARGIN = 5;

    private PngSinks() {}

    /**
     * Writes {@code dir/<layer>-<filter>.png} for every finished filter; for MaCo also
     * {@code -transparency.png} (the transparency as grey) and {@code -maco.png} (the image with
     * its transparency, as Xplique's {@code plot_maco} shows it).
     */
    public static ImageSink perFilter(Path dir) {
        return result -> {
            Files.createDirectories(dir);
            String base = fileName(result.layer()) + "-" + result.filter();
            write(shown(result), dir.resolve(base + ".png"));
            if (result.transparency() != null) {
                RgbImage im = result.image();
                byte[] grey = new byte[im.width() * im.height() * 3];
                for (int i = 0; i < im.width() * im.height(); i++) {
                    byte v = (byte) Math.round(result.transparency()[i] * 255);
                    grey[3 * i] = v;
                    grey[3 * i + 1] = v;
                    grey[3 * i + 2] = v;
                }
                write(new RgbImage(im.width(), im.height(), grey), dir.resolve(base + "-transparency.png"));
                byte[] png = encodeWithAlpha(im, result.transparency());
                AtomicFiles.write(dir.resolve(base + "-maco.png"), out -> out.write(png));
            }
        };
    }

    /**
     * Xplique's {@code plot_maco}: the colours clipped at their 1st and 99th percentiles,
     * multiplied by the transparency, stretched to [0, 255], with the transparency as alpha.
     */
    static byte[] encodeWithAlpha(RgbImage image, float[] alpha) throws IOException {
        int pixels = image.width() * image.height();
        byte[] rgb = image.rgb();
        int[] sorted = new int[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            sorted[i] = rgb[i] & 0xff;
        }
        java.util.Arrays.sort(sorted);
        double lo = percentile(sorted, 1);
        double hi = percentile(sorted, 99);
        double[] v = new double[rgb.length];
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int i = 0; i < rgb.length; i++) {
            v[i] = Math.min(hi, Math.max(lo, rgb[i] & 0xff)) * alpha[i / 3];
            min = Math.min(min, v[i]);
            max = Math.max(max, v[i]);
        }
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_ARGB);
        for (int p = 0; p < pixels; p++) {
            int argb = (int) Math.round(alpha[p] * 255) << 24;
            for (int c = 0; c < 3; c++) {
                int q = max > min ? (int) Math.round((v[3 * p + c] - min) / (max - min) * 255) : 0;
                argb |= q << (16 - 8 * c);
            }
            b.setRGB(p % image.width(), p / image.width(), argb);
        }
        return png(b);
    }

    /** numpy's default percentile of sorted values: linear between the nearest ranks. */
    private static double percentile(int[] sorted, double q) {
        double rank = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        return sorted[lo] + (rank - lo) * (sorted[Math.min(sorted.length - 1, lo + 1)] - sorted[lo]);
    }

    /** Writes {@code file}: all filters as tiles in a square-ish grid, in filter order, at the end. */
    public static ImageSink grid(Path file) {
        List<FilterResult> done = new ArrayList<>();
        return new ImageSink() {
            @Override
            public void filterDone(FilterResult result) {
                done.add(result);
            }

            @Override
            public void runDone(RunRecord record) throws IOException {
                if (!done.isEmpty()) {
                    write(grid(done), file);
                }
            }
        };
    }

    /**
     * A layer name (or an objective) made safe as a file name: '/' and other unsafe characters
     * become '_', no leading dot; a name over 80 characters is cut and ends with a hash of the whole,
     * so two long names stay apart and every file system takes it.
     */
    public static String fileName(String layer) {
        String s = layer.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^[._]+", "");
        if (s.length() > 80) {
            try {
                byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(layer.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                s = s.substring(0, 64) + "-" + java.util.HexFormat.of().formatHex(h, 0, 6);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return s.isEmpty() ? "layer" : s;
    }

    static RgbImage grid(List<FilterResult> results) {
        return tiles(results.stream().map(PngSinks::shown).toList(), (int) Math.ceil(Math.sqrt(results.size())));
    }

    /**
     * The image as it is shown: crossed out in red when the backend gave no gradient for a firing
     * filter ({@link FilterResult.Status#ZERO_GRADIENT}), so it never passes for a visualization.
     */
    public static RgbImage shown(FilterResult r) {
        if (r.status() != FilterResult.Status.ZERO_GRADIENT) {
            return r.image();
        }
        RgbImage img = r.image();
        byte[] rgb = img.rgb().clone();
        int w = img.width();
        int h = img.height();
        for (int t = 0; t < Math.max(w, h); t++) {
            for (int d = -1; d <= 1; d++) {
                int y = (int) ((long) t * h / Math.max(w, h));
                int x = (int) ((long) t * w / Math.max(w, h));
                paintRed(rgb, w, h, x + d, y);
                paintRed(rgb, w, h, w - 1 - x + d, y);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    private static void paintRed(byte[] rgb, int w, int h, int x, int y) {
        if (x >= 0 && x < w && y >= 0 && y < h) {
            int i = (y * w + x) * 3;
            rgb[i] = (byte) 255;
            rgb[i + 1] = 0;
            rgb[i + 2] = 0;
        }
    }

    /** Tiles of one size in rows of {@code cols}, with {@link #MARGIN} between and around them. */
    public static RgbImage tiles(List<RgbImage> images, int cols) {
        int rows = (images.size() + cols - 1) / cols;
        int tw = images.get(0).width();
        int th = images.get(0).height();
        int width = cols * tw + (cols + 1) * MARGIN;
        int height = rows * th + (rows + 1) * MARGIN;
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < images.size(); i++) {
            RgbImage tile = images.get(i);
            int x0 = MARGIN + (i % cols) * (tw + MARGIN);
            int y0 = MARGIN + (i / cols) * (th + MARGIN);
            for (int y = 0; y < th; y++) {
                System.arraycopy(tile.rgb(), y * tw * 3, rgb, ((y0 + y) * width + x0) * 3, tw * 3);
            }
        }
        return new RgbImage(width, height, rgb);
    }

    public static void write(RgbImage image, Path file) throws IOException {
        byte[] png = encode(image);
        AtomicFiles.write(file, out -> out.write(png));
    }

    public static byte[] encode(RgbImage image) throws IOException {
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                b.setRGB(x, y, image.red(y, x) << 16 | image.green(y, x) << 8 | image.blue(y, x));
            }
        }
        return png(b);
    }

    /**
     * A PNG's bytes, encoded in memory. ImageIO's default writes each image through a temporary
     * file and registers it for closing at exit, which costs a file per image and races with a
     * JVM that exits while another thread encodes (a stack trace on stderr); a memory cache does
     * neither.
     */
    public static byte[] png(java.awt.image.RenderedImage image) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream ios = new javax.imageio.stream.MemoryCacheImageOutputStream(out)) {
            if (!ImageIO.write(image, "png", ios)) {
                throw new IOException("no PNG writer");
            }
        }
        return out.toByteArray();
    }
}
