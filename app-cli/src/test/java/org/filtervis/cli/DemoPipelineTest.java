package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.filtervis.graph.DemoNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on the embedded demo network: the images of its first-layer filters must show
 * the filter's own orientation and colour, which cannot happen by accident.
 */
class DemoPipelineTest {
    @TempDir
    static Path dir;

    static Path out;

    @BeforeAll
    static void visualizeTheFirstLayer() {
        out = dir.resolve("demo");
        Cli r = Cli.run("visualize", "--filters", "0-11", "--threads", "2", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
    }

    static BufferedImage image(Path folder, int filter) throws IOException {
        return ImageIO.read(folder.resolve("filters/" + DemoNetwork.FIRST_LAYER + "-" + filter + ".png").toFile());
    }

    /** Dominant direction of intensity change, in degrees [0, 180), from the structure tensor. */
    static double orientation(BufferedImage img) {
        double jxx = 0;
        double jyy = 0;
        double jxy = 0;
        for (int y = 1; y < img.getHeight() - 1; y++) {
            for (int x = 1; x < img.getWidth() - 1; x++) {
                double gx = (gray(img, x + 1, y) - gray(img, x - 1, y)) / 2;
                double gy = (gray(img, x, y + 1) - gray(img, x, y - 1)) / 2;
                jxx += gx * gx;
                jyy += gy * gy;
                jxy += gx * gy;
            }
        }
        double angle = Math.toDegrees(0.5 * Math.atan2(2 * jxy, jxx - jyy));
        return (angle + 180) % 180;
    }

    static double gray(BufferedImage img, int x, int y) {
        int rgb = img.getRGB(x, y);
        return ((rgb >> 16 & 0xff) + (rgb >> 8 & 0xff) + (rgb & 0xff)) / 3.0;
    }

    static double[] meanColour(BufferedImage img) {
        double[] m = new double[3];
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                m[0] += rgb >> 16 & 0xff;
                m[1] += rgb >> 8 & 0xff;
                m[2] += rgb & 0xff;
            }
        }
        int n = img.getWidth() * img.getHeight();
        return new double[] {m[0] / n, m[1] / n, m[2] / n};
    }

    @Test
    void gaborImagesHaveTheirFiltersOrientation() throws IOException {
        for (int f = 0; f < DemoNetwork.ORIENTATIONS; f++) {
            double want = DemoNetwork.orientation(f);
            double got = orientation(image(out, f));
            double diff = Math.abs(got - want);
            diff = Math.min(diff, 180 - diff);
            assertTrue(diff < 8, "filter " + f + ": orientation " + got + ", expected " + want);
        }
    }

    @Test
    void colourOpponentImagesHaveTheirFiltersColour() throws IOException {
        for (int i = 0; i < DemoNetwork.OPPONENTS.length; i++) {
            float[] w = DemoNetwork.OPPONENTS[i];
            double[] c = meanColour(image(out, DemoNetwork.ORIENTATIONS + i));
            double along = (w[0] * c[0] + w[1] * c[1] + w[2] * c[2]) / Math.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
            assertTrue(along > 40, "filter " + (DemoNetwork.ORIENTATIONS + i) + " colour " + java.util.Arrays.toString(c) + " along its axis " + along);
        }
    }

    @Test
    void gaborImagesAreAchromatic() throws IOException {
        for (int f = 0; f < DemoNetwork.ORIENTATIONS; f++) {
            double[] c = meanColour(image(out, f));
            assertTrue(Math.abs(c[0] - c[1]) < 3 && Math.abs(c[1] - c[2]) < 3, "filter " + f + ": " + java.util.Arrays.toString(c));
        }
    }

    @Test
    void writesTheGridAndTheRunRecord() throws IOException {
        BufferedImage grid = ImageIO.read(out.resolve("grid.png").toFile());
        assertEquals(4 * 130 + 5 * 5, grid.getWidth(), "4 columns of 130 px tiles with 5 px margins");
        assertEquals(3 * 130 + 4 * 5, grid.getHeight());
        String json = Files.readString(out.resolve("run.json"));
        assertTrue(json.contains("\"layer\": \"gabor_relu\"") && json.contains("\"steps\": 30") && json.contains("\"objectives\": ["), json);
        assertTrue(json.contains("\"dead\": []") && json.contains("\"zero_gradient\": []"), "every demo filter fires, with a gradient");
        // The record names the model that ran: here the generated network (tests have no pretrained demo), with its file.
        assertTrue(json.contains("\"model\": \"embedded demo network (generated, ") && json.contains(".onnx)\""), json);
        // Writing the images is timed apart from the ascent that filters/s measures.
        assertTrue(json.contains("\"ascent_seconds\": ") && json.contains("\"write_seconds\": ") && json.contains("\"filters_per_second\": "), json);
    }

    @Test
    void sameSeedGivesByteIdenticalImagesAndBatchingChangesNothing() throws IOException {
        Path again = dir.resolve("again");
        Path single = dir.resolve("single");
        assertEquals(0, Cli.run("visualize", "--filters", "0-11", "--threads", "2", "--out", again.toString(), "--quiet").code());
        assertEquals(0, Cli.run("visualize", "--filters", "2,9", "--batch", "1", "--threads", "2", "--out", single.toString(), "--quiet").code());
        for (int f = 0; f < 12; f++) {
            assertArrayEquals(Files.readAllBytes(out.resolve("filters/gabor_relu-" + f + ".png")),
                    Files.readAllBytes(again.resolve("filters/gabor_relu-" + f + ".png")), "filter " + f);
        }
        for (int f : new int[] {2, 9}) {
            BufferedImage batched = image(out, f);
            BufferedImage alone = image(single, f);
            int worst = Cli.maxLevelDifference(batched, alone);
            assertTrue(worst <= 2, "filter " + f + ": batched and single differ by " + worst + " levels");
        }
    }

    @Test
    void otherSeedGivesOtherImages() throws IOException {
        Path other = dir.resolve("seed1");
        assertEquals(0, Cli.run("visualize", "--filters", "0", "--seed", "1", "--out", other.toString(), "--quiet").code());
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(out.resolve("filters/gabor_relu-0.png")),
                Files.readAllBytes(other.resolve("filters/gabor_relu-0.png"))));
    }
}
