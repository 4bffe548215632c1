package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.AtomicFiles;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.keras.KerasImporter;
import org.filtervis.graph.keras.TfjsModel;

/**
 * The model used when none is given: the pretrained InceptionV3 that {@code tools/demo-models.sh}
 * converts into the models folder ({@code -Dfiltervis.models}, set by the launcher), visualized at
 * {@code mixed4}; without it, the embedded demo network, generated once into the temporary folder.
 */
final class DemoModelFile {
    private DemoModelFile() {}

    /** A default model and the layer and filters to show from it. */
    record Demo(Path model, String layer, String filters, int redirectSteps) {}

    static Demo demo() {
        String models = System.getProperty("filtervis.models");
        if (models != null) {
            Path inception = Path.of(models, "inception_v3.onnx");
            if (Files.isRegularFile(inception)) {
                return new Demo(inception, "mixed4", "0-15", 10);
            }
        }
        return new Demo(path(), DemoNetwork.FIRST_LAYER, null, 0);
    }

    /** The embedded demo network as a file. */
    static Path path() {
        return cached("demo", OnnxFormat.write(DemoNetwork.build()));
    }

    /** A Keras model imported to ONNX, cached in the temporary folder by content. */
    static Path imported(TfjsModel keras) {
        OnnxModel m = KerasImporter.toOnnx(keras);
        return cached("keras", OnnxFormat.write(m));
    }

    private static Path cached(String kind, byte[] bytes) {
        String tag;
        try {
            tag = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes), 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "filtervis-" + kind + "-" + tag + ".onnx");
        try {
            if (!Files.isRegularFile(file) || Files.size(file) != bytes.length) {
                AtomicFiles.write(file, out -> out.write(bytes));
            }
        } catch (IOException e) {
            throw FiltervisException.failure("cannot write the " + kind + " model to " + file + ": " + e.getMessage());
        }
        return file;
    }
}
