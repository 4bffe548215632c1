package org.filtervis.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;

/** Photos the tests make: stripes of a direction, frequency and colour that change with the photo's number, so channels rank them differently. */
final class TestPhotos {
    private TestPhotos() {}

    /** Writes {@code count} PNGs of {@code w} x {@code h} under {@code root}, photo k at {@code name.apply(k)} (a relative path). */
    static void stripes(Path root, int count, int w, int h, IntFunction<String> name) throws IOException {
        for (int k = 0; k < count; k++) {
            BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            double angle = k * 0.7;
            double frequency = 0.2 + 0.01 * (k % 37);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = (int) Math.round(127 + 120 * Math.sin((x * Math.cos(angle) + y * Math.sin(angle)) * frequency));
                    im.setRGB(x, y, v << 16 | ((v * (k % 5 + 1)) & 0xff) << 8 | ((255 - v + k) & 0xff));
                }
            }
            Path file = root.resolve(name.apply(k));
            Files.createDirectories(file.getParent());
            ImageIO.write(im, "png", file.toFile());
        }
    }
}
