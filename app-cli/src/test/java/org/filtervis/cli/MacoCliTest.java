package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.filtervis.core.photos.Photos;
import org.filtervis.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --recipe maco} and {@code filtervis spectrum} from the command line. */
class MacoCliTest {
    @TempDir
    Path dir;

    static String[] maco(String backend, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("visualize", "--recipe", "maco", "--backend", backend, "--steps", "3", "--size",
                "64", "--filters", "0-1", "--quiet", "--out", out.toString()));
        a.addAll(List.of(extra));
        if (!a.contains("--crops")) {
            a.addAll(List.of("--crops", "3"));
        }
        return a.toArray(String[]::new);
    }

    @ParameterizedTest
    @ValueSource(strings = {"onnx", "tf", "djl"})
    void rendersOnEveryBackendTheSameBytesEveryRunWithItsTransparency(String backend) throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Cli first = Cli.run(maco(backend, a));
        Cli second = Cli.run(maco(backend, b));
        assertEquals(0, first.code(), first.err());
        assertEquals(0, second.code(), second.err());
        for (String f : List.of("grid.png", "filters/gabor_relu-0.png", "filters/gabor_relu-0-transparency.png", "filters/gabor_relu-1-maco.png")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f + ": same seed, backend, threads");
        }
        BufferedImage shown = ImageIO.read(a.resolve("filters/gabor_relu-1-maco.png").toFile());
        assertEquals(64, shown.getWidth(), "the buffer's size");
        assertTrue(shown.getColorModel().hasAlpha(), "the image shown with its transparency as alpha");
        String json = Files.readString(a.resolve("run.json"));
        assertTrue(json.contains("\"recipe\": \"maco\"") && json.contains("64 px buffer, 3 crops per step") && json.contains("\"border\": 0")
                && json.contains("\"objective\": \"channel(gabor_relu, f)\"") && json.contains("\"clean_objective\""), json);
    }

    /** Photos in, a spectrum out that maco takes; an unreadable file is named and left out. */
    @Test
    void spectrumOfAFolderOfPhotosFeedsMaco() throws IOException {
        Path photos = Files.createDirectories(dir.resolve("photos"));
        for (int k = 0; k < 3; k++) {
            BufferedImage im = new BufferedImage(40 + 10 * k, 40, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < im.getHeight(); y++) {
                for (int x = 0; x < im.getWidth(); x++) {
                    im.setRGB(x, y, ((x * 7 + k * 40) & 0xff) << 16 | ((y * 5) & 0xff) << 8 | ((x * y) & 0xff));
                }
            }
            ImageIO.write(im, "png", photos.resolve("p" + k + ".png").toFile());
        }
        Files.writeString(photos.resolve("broken.png"), "not a png");
        Path npy = dir.resolve("s.npy");
        Cli r = Cli.run("spectrum", "--images", photos.toString(), "--size", "32", "--out", npy.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("broken.png"), "the unreadable file is named: " + r.err());
        assertTrue(r.out().contains("3 photos"), r.out());
        Npy.Array s = Npy.read(npy);
        assertArrayEquals(new long[] {3, 32, 17}, s.shape());
        Cli m = Cli.run(maco("onnx", dir.resolve("m"), "--spectrum", npy.toString()));
        assertEquals(0, m.code(), m.err());
        assertTrue(Files.readString(dir.resolve("m/run.json")).contains("spectrum " + npy.toAbsolutePath()));
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws IOException {
        Path wrongShape = dir.resolve("wrong.npy");
        Npy.write(wrongShape, new long[] {3, 8, 8}, new float[192]);
        Path nan = dir.resolve("nan.npy");
        float[] values = new float[3 * 8 * 5];
        values[7] = Float.NaN;
        Npy.write(nan, new long[] {3, 8, 5}, values);
        Path empty = Files.createDirectories(dir.resolve("empty"));
        String[][] cases = {
            {"--crops", "0", "--crops 0 is not 1 to 1024"},
            {"--spectrum", dir.resolve("none.npy").toString(), "is not a file"},
            {"--spectrum", wrongShape.toString(), "a magnitude spectrum is [C, S, S/2+1]"},
            {"--spectrum", nan.toString(), "holds NaN"},
            {"--transforms", "none", "--transforms belongs to --recipe keras or lucid"},
        };
        for (String[] c : cases) {
            Path out = dir.resolve("out");
            Cli r = Cli.run(maco("onnx", out, c[0], c[1]));
            assertEquals(2, r.code(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.oneLineError() && r.err().contains(c[2]), r.err());
            assertTrue(!Files.exists(out), "nothing written for " + c[0]);
        }
        Cli crops = Cli.run("visualize", "--crops", "4", "--out", dir.resolve("k").toString());
        assertTrue(crops.code() == 2 && crops.err().contains("--crops belongs to --recipe maco"), crops.err());
        Path out = dir.resolve("e.npy");
        Cli none = Cli.run("spectrum", "--images", empty.toString(), "--out", out.toString());
        assertTrue(none.code() == 2 && none.oneLineError() && none.err().contains("has no .png"), none.err());
        assertTrue(!Files.exists(out));
    }
}
