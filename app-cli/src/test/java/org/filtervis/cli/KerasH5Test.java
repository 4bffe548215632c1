package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keras 2 .h5 files: tools/make_keras_h5.py wrote one small model (Conv2D, BatchNormalization,
 * DepthwiseConv2D, ReLU(6), Add, MaxPooling2D, GlobalAveragePooling2D, Dense) as .h5 and in TF.js
 * layers format with the same weights (test resources). Both import to the same ONNX model, and the
 * .h5 runs on every backend.
 */
class KerasH5Test {
    @TempDir
    Path dir;

    static Path resource(String name) {
        return Path.of("src/test/resources/keras").resolve(name).toAbsolutePath();
    }

    @Test
    void h5AndTfjsLayoutsImportToTheSameOnnxModel() throws IOException {
        Path a = dir.resolve("h5.onnx");
        Path b = dir.resolve("tfjs.onnx");
        Cli ca = Cli.run("convert", "--model", resource("tiny.h5").toString(), "--to", "onnx", "--output", a.toString());
        assertEquals(0, ca.code(), ca.err());
        Cli cb = Cli.run("convert", "--model", resource("tfjs").toString(), "--to", "onnx", "--output", b.toString());
        assertEquals(0, cb.code(), cb.err());
        assertArrayEquals(Files.readAllBytes(b), Files.readAllBytes(a));
    }

    @Test
    void h5RunsOnEveryBackend() throws IOException {
        var differences = Cli.gradientDifferencesFromOnnx(dir, new long[] {2, 20, 20, 3}, "--model", resource("tiny.h5").toString(),
                "--layer", "add", "--filters", "1,6");
        assertTrue(differences.values().stream().allMatch(d -> d < 1e-5), "relative L2 differences from onnx: " + differences);
    }

    @Test
    void kerasThreeArchivesAndNonHdf5FilesAreNamed() throws IOException {
        Path keras = Files.writeString(dir.resolve("m.keras"), "zip");
        Cli r = Cli.run("layers", "--model", keras.toString());
        assertEquals(1, r.code());
        assertTrue(r.oneLineError() && r.err().contains("Keras 3 .keras archive"), r.err());
        Path fake = Files.writeString(dir.resolve("fake.h5"), "not hdf5 at all");
        r = Cli.run("layers", "--model", fake.toString());
        assertEquals(1, r.code());
        assertTrue(r.oneLineError() && r.err().contains("not an HDF5 file"), r.err());
    }
}
