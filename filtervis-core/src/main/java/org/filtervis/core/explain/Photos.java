package org.filtervis.core.explain;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.core.IoMessages;
import org.filtervis.core.lucid.InputRange;

/**
 * Photos as a network sees them: decoded (PNG or JPEG), the shorter side resized to the network's
 * size with an antialiasing triangle filter, the centre cropped square, colours in [0, 1].
 */
public final class Photos {
    /** Larger images are refused before decoding: 100 megapixels is 400 MB of pixels. */
    static final long MAX_PIXELS = 100_000_000L;

    /** A photo at the network's size: {@code 3 * size * size} colours in [0, 1], channel-major (CHW). */
    public record Photo(Path file, int size, float[] rgb) {}

    private Photos() {}

    /** Reads and crops one photo, or fails in one line naming the file. */
    public static Photo read(Path file, int size) {
        if (!Files.isRegularFile(file)) {
            throw FiltervisException.usage("image " + file + " does not exist or is not a file; give a PNG or JPEG file or a folder of them");
        }
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw undecodable(file, "not a PNG or JPEG file");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw FiltervisException.usage("image " + file + " has " + pixels / 1_000_000 + " megapixels; filtervis reads at most "
                            + MAX_PIXELS / 1_000_000 + ": scale it down first");
                }
                image = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof FiltervisException fe) {
                throw fe;
            }
            throw undecodable(file, e instanceof IOException io ? IoMessages.describe(io) : e.toString());
        }
        if (image == null || image.getWidth() < 1 || image.getHeight() < 1) {
            throw undecodable(file, "no image in it");
        }
        return new Photo(file, size, crop(image, size));
    }

    private static FiltervisException undecodable(Path file, String why) {
        return FiltervisException.usage("cannot decode image " + file + " (" + why + "); give PNG or JPEG files");
    }

    /** The shorter side resized to {@code size}, the centre cropped to size x size, as CHW colours in [0, 1]. */
    static float[] crop(BufferedImage image, int size) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] planes = new float[3][w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = image.getRGB(x, y); // any colour model (grey, palette, alpha) to sRGB
                planes[0][y * w + x] = (argb >> 16 & 0xff) / 255f;
                planes[1][y * w + x] = (argb >> 8 & 0xff) / 255f;
                planes[2][y * w + x] = (argb & 0xff) / 255f;
            }
        }
        double scale = (double) size / Math.min(w, h);
        int rw = Math.max(size, (int) Math.round(w * scale));
        int rh = Math.max(size, (int) Math.round(h * scale));
        int x0 = (rw - size) / 2;
        int y0 = (rh - size) / 2;
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            float[] rows = resizeAxis(planes[c], w, h, rw, true);
            float[] both = resizeAxis(rows, rw, h, rh, false);
            for (int y = 0; y < size; y++) {
                System.arraycopy(both, (y + y0) * rw + x0, out, (c * size + y) * size, size);
            }
        }
        return out;
    }

    /**
     * One axis of a resize with a triangle (bilinear) filter widened by the shrink factor, so that a
     * smaller image averages every pixel it covers instead of skipping some (no aliasing).
     */
    static float[] resizeAxis(float[] in, int w, int h, int outLength, boolean horizontal) {
        int inLength = horizontal ? w : h;
        double scale = (double) inLength / outLength;
        double support = Math.max(1, scale);
        float[] out = horizontal ? new float[outLength * h] : new float[w * outLength];
        for (int o = 0; o < outLength; o++) {
            double centre = (o + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(centre - support));
            int hi = Math.min(inLength - 1, (int) Math.ceil(centre + support));
            double[] weights = new double[hi - lo + 1];
            double total = 0;
            for (int i = lo; i <= hi; i++) {
                double t = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
                weights[i - lo] = t;
                total += t;
            }
            int lines = horizontal ? h : w;
            for (int line = 0; line < lines; line++) {
                double sum = 0;
                for (int i = lo; i <= hi; i++) {
                    sum += weights[i - lo] * (horizontal ? in[line * w + i] : in[i * w + line]);
                }
                float v = (float) (sum / total);
                if (horizontal) {
                    out[line * outLength + o] = v;
                } else {
                    out[o * w + line] = v;
                }
            }
        }
        return out;
    }

    /** The model's input for CHW colours: the model's pixel range, then its layout. */
    public static float[] modelInput(float[] rgb, int size, InputRange range, InputSpec input) {
        float[] chw = rgb.clone();
        range.apply(chw, 0, 3, size * size);
        return toLayout(chw, size, input);
    }

    /** CHW to the model's layout (a copy when that is NHWC). */
    static float[] toLayout(float[] chw, int size, InputSpec input) {
        if (input.layout() == InputSpec.Layout.NCHW) {
            return chw;
        }
        InputSpec spec = input.withSize(size, size);
        float[] out = new float[chw.length];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < size * size; p++) {
                out[spec.index(c, p / size, p % size)] = chw[c * size * size + p];
            }
        }
        return out;
    }

    /** The model's layout back to CHW. */
    static float[] toChw(float[] x, int size, InputSpec input) {
        if (input.layout() == InputSpec.Layout.NCHW) {
            return x.clone();
        }
        InputSpec spec = input.withSize(size, size);
        float[] out = new float[x.length];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < size * size; p++) {
                out[c * size * size + p] = x[spec.index(c, p / size, p % size)];
            }
        }
        return out;
    }
}
