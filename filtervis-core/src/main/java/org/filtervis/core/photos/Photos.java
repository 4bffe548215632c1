package org.filtervis.core.photos;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.core.io.IoMessages;
import org.filtervis.core.lucid.InputRange;

/**
 * Photos as a network sees them: decoded (PNG or JPEG), the shorter side resized to the network's
 * size with an antialiasing triangle filter, the centre cropped square, colours in [0, 1].
 */
public final class Photos {
    /** Larger images are refused before decoding: 100 megapixels is 400 MB of pixels. */
    static final long MAX_PIXELS = 100_000_000L;
    /** A longer side more than this many times the shorter is not a photo to crop a square from. */
    static final int MAX_ASPECT = 50;

    /** A photo at the network's size: {@code 3 * size * size} colours in [0, 1], channel-major (CHW). */
    public record Photo(Path file, int size, float[] rgb) {}

    private Photos() {}

    /**
     * Reads and crops one photo, or fails in one line naming the file. The size is checked from
     * the header before decoding; a file the decoder finds damaged (a truncated JPEG, which Java's
     * decoder would fill with grey) is refused, as is a CMYK JPEG.
     */
    public static Photo read(Path file, int size) {
        if (!Files.isRegularFile(file)) {
            throw FiltervisException.usage("image " + file + " does not exist or is not a file; give a PNG or JPEG file or a folder of them");
        }
        return new Photo(file, size, read(org.filtervis.core.io.UntrustedFiles.read(file, "image", MAX_FILE_BYTES), file.toString(), size));
    }

    /** The largest photo file read: far above any photo of 100 megapixels a camera writes. */
    static final long MAX_FILE_BYTES = 512L << 20;

    /**
     * As {@link #read(Path, int)}, from a photo's bytes (read from anywhere: a Hadoop file system,
     * say); {@code name} names it in errors. Returns the CHW colours.
     */
    public static float[] read(byte[] bytes, String name, int size) {
        BufferedImage image;
        // In memory: ImageIO's default would copy every photo to a temporary file first.
        try (ImageInputStream in = new javax.imageio.stream.MemoryCacheImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw undecodable(name, "not a PNG or JPEG file");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                checkDimensions(name, reader.getWidth(0), reader.getHeight(0));
                if (reader.getFormatName().equalsIgnoreCase("jpeg") && jpegComponents(bytes) == 4) {
                    throw undecodable(name, "a CMYK JPEG; convert it to RGB first");
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
                image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw undecodable(name, "damaged or truncated: " + warnings.get(0));
                }
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof FiltervisException fe) {
                throw fe;
            }
            throw undecodable(name, e instanceof IOException io ? IoMessages.describe(io) : e.toString());
        }
        if (image == null || image.getWidth() < 1 || image.getHeight() < 1) {
            throw undecodable(name, "no image in it");
        }
        return crop(image, size);
    }

    static void checkDimensions(String file, int w, int h) {
        long pixels = (long) w * h;
        if (w < 1 || h < 1) {
            throw undecodable(file, "it declares " + w + " x " + h + " pixels");
        }
        if (pixels > MAX_PIXELS) {
            throw FiltervisException.usage("image " + file + " has " + pixels / 1_000_000 + " megapixels; filtervis reads at most "
                    + MAX_PIXELS / 1_000_000 + ": scale it down first");
        }
        if (Math.max(w, h) / Math.min(w, h) > MAX_ASPECT) {
            throw FiltervisException.usage("image " + file + " is " + w + " x " + h + " pixels, more than " + MAX_ASPECT
                    + " times longer than wide; crop it first");
        }
    }

    /** The number of colour components of a JPEG's frame (3 for YCbCr, 1 grey, 4 CMYK or YCCK), or -1 if no frame header is found. */
    static int jpegComponents(Path file) throws IOException {
        return jpegComponents(Files.readAllBytes(file));
    }

    /** As above, of a JPEG's bytes. */
    static int jpegComponents(byte[] bytes) throws IOException {
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
            if (in.readUnsignedShort() != 0xFFD8) {
                return -1;
            }
            while (true) {
                int b = in.readUnsignedByte();
                if (b != 0xFF) {
                    return -1;
                }
                int marker = in.readUnsignedByte();
                while (marker == 0xFF) {
                    marker = in.readUnsignedByte();
                }
                if (marker == 0xD8 || marker >= 0xD0 && marker <= 0xD7 || marker == 0x01) {
                    continue; // markers without a length
                }
                int length = in.readUnsignedShort();
                // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, components.
                if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                    in.readUnsignedShort();
                    return in.readUnsignedByte();
                }
                if (marker == 0xDA || length < 2) {
                    return -1; // image data before any frame header
                }
                in.skipNBytes(length - 2);
            }
        } catch (java.io.EOFException e) {
            return -1;
        }
    }

    private static FiltervisException undecodable(String file, String why) {
        return FiltervisException.usage("cannot decode image " + file + " (" + why + "); give PNG or JPEG files");
    }

    /**
     * The shorter side resized to {@code size}, the centre cropped to size x size, as CHW colours in
     * [0, 1]. Only the cropped columns and rows of the resize are computed, so memory is bounded by
     * the photo's height times {@code size}, whatever the aspect ratio.
     */
    static float[] crop(BufferedImage image, int size) {
        int w = image.getWidth();
        int h = image.getHeight();
        double scale = (double) size / Math.min(w, h);
        int rw = Math.max(size, (int) Math.round(w * scale));
        int rh = Math.max(size, (int) Math.round(h * scale));
        int x0 = (rw - size) / 2;
        int y0 = (rh - size) / 2;
        float[][] columns = new float[3][size * h];
        // The horizontal pass, a block of rows at a time.
        int block = 64;
        float[][] rows = new float[3][block * w];
        float[][] row = new float[3][w];
        for (int y0Block = 0; y0Block < h; y0Block += block) {
            int n = Math.min(block, h - y0Block);
            for (int y = 0; y < n; y++) {
                readRow(image, y0Block + y, row);
                for (int c = 0; c < 3; c++) {
                    System.arraycopy(row[c], 0, rows[c], y * w, w);
                }
            }
            for (int c = 0; c < 3; c++) {
                resizeAxis(rows[c], w, n, rw, true, x0, size, columns[c], y0Block * size);
            }
        }
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            resizeAxis(columns[c], size, h, rh, false, y0, size, out, c * size * size);
        }
        return out;
    }

    /**
     * Row y as sRGB colours in [0, 1]. Grey images are read as stored: Java decodes them into a
     * linear grey colour space, and converting that to sRGB would brighten them (a photo viewer
     * shows the stored values as sRGB grey).
     */
    static void readRow(BufferedImage image, int y, float[][] rgb) {
        int w = image.getWidth();
        java.awt.image.ColorModel cm = image.getColorModel();
        if (cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY && !(cm instanceof java.awt.image.IndexColorModel)) {
            java.awt.image.Raster raster = image.getRaster();
            double max = (1L << cm.getComponentSize(0)) - 1;
            for (int x = 0; x < w; x++) {
                float v = (float) (raster.getSample(x, y, 0) / max);
                rgb[0][x] = v;
                rgb[1][x] = v;
                rgb[2][x] = v;
            }
            return;
        }
        int[] argb = image.getRGB(0, y, w, 1, null, 0, w); // any other colour model (palette, alpha, 16-bit) to sRGB
        for (int x = 0; x < w; x++) {
            rgb[0][x] = (argb[x] >> 16 & 0xff) / 255f;
            rgb[1][x] = (argb[x] >> 8 & 0xff) / 255f;
            rgb[2][x] = (argb[x] & 0xff) / 255f;
        }
    }

    /**
     * One axis of a resize with a triangle (bilinear) filter widened by the shrink factor, so that a
     * smaller image averages every pixel it covers instead of skipping some (no aliasing). Computes
     * the outputs {@code from .. from + count - 1} of {@code outLength}, into {@code out} from
     * {@code offset}: rows of {@code count} (horizontal) or {@code count} rows of {@code w}.
     */
    static float[] resizeAxis(float[] in, int w, int h, int outLength, boolean horizontal) {
        float[] out = new float[horizontal ? outLength * h : w * outLength];
        resizeAxis(in, w, h, outLength, horizontal, 0, outLength, out, 0);
        return out;
    }

    static void resizeAxis(float[] in, int w, int h, int outLength, boolean horizontal, int from, int count, float[] out, int offset) {
        int inLength = horizontal ? w : h;
        double scale = (double) inLength / outLength;
        double support = Math.max(1, scale);
        for (int o = from; o < from + count; o++) {
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
                    out[offset + line * count + o - from] = v;
                } else {
                    out[offset + (o - from) * w + line] = v;
                }
            }
        }
    }

    /** The model's input for CHW colours: the model's pixel range, then its layout. */
    public static float[] modelInput(float[] rgb, int size, InputRange range, InputSpec input) {
        float[] chw = rgb.clone();
        range.apply(chw, 0, 3, size * size);
        return toLayout(chw, size, input);
    }

    /** CHW to the model's layout (a copy when that is NHWC). */
    public static float[] toLayout(float[] chw, int size, InputSpec input) {
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
    public static float[] toChw(float[] x, int size, InputSpec input) {
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

    /** The photo, or the PNG and JPEG files of a folder (not its sub-folders), by name; at most {@code max}. */
    public static List<Path> files(Path given, int max) {
        if (Files.isDirectory(given)) {
            List<Path> found;
            try (Stream<Path> s = Files.list(given)) {
                found = s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g)"))
                        .sorted().limit(max + 1).toList();
            } catch (IOException e) {
                throw FiltervisException.usage("cannot list " + given + " (" + IoMessages.describe(e) + ")");
            }
            if (found.isEmpty()) {
                throw FiltervisException.usage("folder " + given + " has no .png, .jpg or .jpeg files; give a photo or a folder of them");
            }
            if (found.size() > max) {
                throw FiltervisException.usage("folder " + given + " has more than " + max + " photos; split it");
            }
            return found;
        }
        if (!Files.exists(given)) {
            throw FiltervisException.usage("image " + given + " does not exist; give a PNG or JPEG file or a folder of them");
        }
        return List.of(given);
    }
}
