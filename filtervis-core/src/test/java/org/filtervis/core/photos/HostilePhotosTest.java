package org.filtervis.core.photos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.filtervis.api.FiltervisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Photos as a hostile user gives them (issue 24): grey images read as the stored values, sizes
 * checked from the header, damaged and CMYK JPEGs refused, names that cannot escape the output
 * folder, and a crop whose memory does not grow with the aspect ratio but whose pixels are those
 * of the full resize.
 */
class HostilePhotosTest {
    @TempDir
    Path dir;

    static BufferedImage grey(int type, int w, int h, int seed) {
        BufferedImage b = new BufferedImage(w, h, type);
        WritableRaster r = b.getRaster();
        SplittableRandom rnd = new SplittableRandom(seed);
        int max = type == BufferedImage.TYPE_USHORT_GRAY ? 65535 : 255;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setSample(x, y, 0, rnd.nextInt(max / 5, max * 4 / 5));
            }
        }
        return b;
    }

    static double mean(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s / v.length;
    }

    static double storedMean(BufferedImage b, double max) {
        double s = 0;
        for (int y = 0; y < b.getHeight(); y++) {
            for (int x = 0; x < b.getWidth(); x++) {
                s += b.getRaster().getSample(x, y, 0) / max;
            }
        }
        return s / (b.getWidth() * b.getHeight());
    }

    @Test
    void greyPngsAreReadAsTheStoredValuesNotBrightened() throws IOException {
        for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY}) {
            BufferedImage b = grey(type, 40, 40, type);
            Path f = dir.resolve("grey" + type + ".png");
            ImageIO.write(b, "png", f.toFile());
            Photos.Photo p = Photos.read(f, 40);
            double want = storedMean(b, type == BufferedImage.TYPE_USHORT_GRAY ? 65535 : 255);
            // Same size: the resize is the identity, so the pixels are exactly the stored ones.
            assertEquals(want, mean(p.rgb()), 1e-4, "type " + type);
            for (int i = 0; i < 40 * 40; i++) {
                assertEquals(p.rgb()[i], p.rgb()[40 * 40 + i], "grey: R = G");
                assertEquals(p.rgb()[i], p.rgb()[2 * 40 * 40 + i], "grey: R = B");
            }
        }
    }

    @Test
    void greyJpegAndGreyWithAlphaAreNotBrightened() throws IOException {
        BufferedImage b = grey(BufferedImage.TYPE_BYTE_GRAY, 48, 48, 3);
        Path jpg = dir.resolve("grey.jpg");
        ImageIO.write(b, "jpg", jpg.toFile());
        BufferedImage decoded = ImageIO.read(jpg.toFile());
        assertEquals(storedMean(decoded, 255), mean(Photos.read(jpg, 48).rgb()), 1e-4, "the JPEG's stored grey values");
        // Grey + alpha: a two-band grey PNG (Java decodes it to a grey colour space with alpha).
        java.awt.color.ColorSpace gray = java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_GRAY);
        java.awt.image.ComponentColorModel cm = new java.awt.image.ComponentColorModel(gray, true, false, java.awt.Transparency.TRANSLUCENT,
                java.awt.image.DataBuffer.TYPE_BYTE);
        WritableRaster r = cm.createCompatibleWritableRaster(32, 32);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                r.setSample(x, y, 0, 117);
                r.setSample(x, y, 1, 255);
            }
        }
        Path ga = dir.resolve("grey-alpha.png");
        ImageIO.write(new BufferedImage(cm, r, false, null), "png", ga.toFile());
        assertEquals(117 / 255.0, mean(Photos.read(ga, 32).rgb()), 1e-6, "117 stays 117, not the 178 of a linear-light reading");
    }

    @Test
    void sizesAreCheckedFromTheHeaderBeforeDecoding() throws IOException {
        for (int[] wh : new int[][] {{100_000, 1}, {50_000, 2}, {10_000, 10}, {1, 60}}) {
            Path f = dir.resolve(wh[0] + "x" + wh[1] + ".png");
            ImageIO.write(new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_BYTE_GRAY), "png", f.toFile());
            FiltervisException e = assertThrows(FiltervisException.class, () -> Photos.read(f, 4096));
            assertTrue(e.getMessage().contains("times longer than wide"), e.getMessage());
            assertTrue(e.usage());
        }
    }

    @Test
    void truncatedAndCmykJpegsAreRefused() throws IOException {
        BufferedImage rgb = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        SplittableRandom rnd = new SplittableRandom(5);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                rgb.setRGB(x, y, rnd.nextInt(1 << 24));
            }
        }
        Path whole = dir.resolve("whole.jpg");
        ImageIO.write(rgb, "jpg", whole.toFile());
        Photos.read(whole, 32);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.jpg"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        FiltervisException e = assertThrows(FiltervisException.class, () -> Photos.read(cut, 32));
        assertTrue(e.getMessage().contains("cut.jpg") && e.getMessage().contains("truncated"), e.getMessage());

        // A four-component JPEG (what CMYK and YCCK files are), written from a raster.
        WritableRaster four = java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 32, 32, 4, null);
        Path cmyk = dir.resolve("cmyk.jpg");
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream o = ImageIO.createImageOutputStream(cmyk.toFile())) {
            w.setOutput(o);
            w.write(null, new IIOImage(four, null, null), null);
        } finally {
            w.dispose();
        }
        assertEquals(4, Photos.jpegComponents(cmyk));
        assertEquals(3, Photos.jpegComponents(whole));
        FiltervisException c = assertThrows(FiltervisException.class, () -> Photos.read(cmyk, 32));
        assertTrue(c.getMessage().contains("CMYK"), c.getMessage());
    }

    /** The crop computed as before the bounded one: the whole image resized, then the centre cut out. */
    static float[] fullResizeThenCrop(BufferedImage image, int size) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] planes = new float[3][w * h];
        float[][] row = new float[3][w];
        for (int y = 0; y < h; y++) {
            Photos.readRow(image, y, row);
            for (int c = 0; c < 3; c++) {
                System.arraycopy(row[c], 0, planes[c], y * w, w);
            }
        }
        double scale = (double) size / Math.min(w, h);
        int rw = Math.max(size, (int) Math.round(w * scale));
        int rh = Math.max(size, (int) Math.round(h * scale));
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            float[] both = Photos.resizeAxis(Photos.resizeAxis(planes[c], w, h, rw, true), rw, h, rh, false);
            for (int y = 0; y < size; y++) {
                System.arraycopy(both, (y + (rh - size) / 2) * rw + (rw - size) / 2, out, (c * size + y) * size, size);
            }
        }
        return out;
    }

    @Test
    void theBoundedCropHasThePixelsOfTheFullResize() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int[] whs : new int[][] {{97, 61, 32}, {61, 97, 32}, {200, 150, 48}, {30, 30, 64}, {300, 7, 5}, {130, 129, 130}}) {
            BufferedImage b = new BufferedImage(whs[0], whs[1], BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < whs[1]; y++) {
                for (int x = 0; x < whs[0]; x++) {
                    b.setRGB(x, y, rnd.nextInt(1 << 24));
                }
            }
            float[] want = fullResizeThenCrop(b, whs[2]);
            assertArrayEquals(want, Photos.crop(b, whs[2]), java.util.Arrays.toString(whs));
            assertTrue(mean(want) > 0.1, "not a blank image");
        }
    }
}
