package org.filtervis.core.photos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.filtervis.api.FiltervisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Photos as every command prepares them: resized without aliasing, cropped square from any colour model. */
class PhotosTest {
    @TempDir
    Path dir;

    @Test
    void resizeKeepsConstantsAndAveragesWhenShrinking() {
        float[] flat = new float[37 * 23];
        java.util.Arrays.fill(flat, 0.25f);
        for (float v : Photos.resizeAxis(flat, 37, 23, 11, true)) {
            assertEquals(0.25f, v, 1e-6f);
        }
        // A 1-pixel checkerboard shrunk 4x is grey, not a sample of one colour (no aliasing).
        float[] checker = new float[64 * 8];
        for (int i = 0; i < checker.length; i++) {
            checker[i] = (i % 64 + i / 64) % 2;
        }
        float[] shrunk = Photos.resizeAxis(checker, 64, 8, 16, true);
        for (int y = 0; y < 8; y++) {
            for (int x = 1; x < 15; x++) { // the edges' truncated filters may lean to one colour
                assertEquals(0.5f, shrunk[y * 16 + x], 0.03f);
            }
        }
    }

    @Test
    void photosAreCroppedSquareFromAnyColourModel() throws Exception {
        BufferedImage grey = new BufferedImage(120, 60, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 120; x++) {
            for (int y = 0; y < 60; y++) {
                grey.getRaster().setSample(x, y, 0, x < 60 ? 0 : 255);
            }
        }
        Path file = dir.resolve("grey.png");
        ImageIO.write(grey, "png", file.toFile());
        Photos.Photo p = Photos.read(file, 30);
        assertEquals(3 * 30 * 30, p.rgb().length);
        // The centre crop of a left-dark, right-bright image: dark left edge, bright right edge, all channels equal.
        assertEquals(0f, p.rgb()[0], 1e-6f);
        assertEquals(1f, p.rgb()[29], 1e-6f);
        assertEquals(p.rgb()[15], p.rgb()[900 + 15], 0f);
        Path text = Files.writeString(dir.resolve("text.jpg"), "not an image");
        FiltervisException e = assertThrows(FiltervisException.class, () -> Photos.read(text, 30));
        assertTrue(e.usage() && e.getMessage().contains("cannot decode image") && e.getMessage().contains("text.jpg"), e.getMessage());
    }
}
