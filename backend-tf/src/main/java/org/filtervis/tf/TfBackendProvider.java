package org.filtervis.tf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.ModelBackend;

/**
 * The TensorFlow Java backend's entry point. Loads no TensorFlow class until {@link #create}.
 * It opens TensorFlow's own formats by itself (a SavedModel folder, a frozen GraphDef {@code .pb});
 * ONNX models when chosen with {@code --backend tf}.
 */
public final class TfBackendProvider implements BackendProvider {
    static final Properties VERSIONS = org.filtervis.graph.kit.BuildVersions.load(TfBackendProvider.class, "/filtervis-tf.properties");

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "tf";
    }

    @Override
    public String version() {
        return "TensorFlow Java " + VERSIONS.getProperty("tensorflow.version");
    }

    @Override
    public List<String> modelFormats() {
        return List.of("savedmodel", "frozen-graphdef", "onnx");
    }

    @Override
    public List<String> devices() {
        return List.of("cpu");
    }

    /** The CPU: app-cli's DeterminismTest checks it across JVMs (CUDA, where there is one, is not tested here). */
    @Override
    public List<String> repeatableOn() {
        return List.of("cpu");
    }

    @Override
    public boolean canOpen(Path model) {
        return isSavedModel(model) || model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pb");
    }

    static boolean isSavedModel(Path model) {
        return Files.isDirectory(model) && (Files.isRegularFile(model.resolve("saved_model.pb")) || Files.isRegularFile(model.resolve("saved_model.pbtxt")));
    }

    @Override
    public ModelBackend create(BackendOptions options) {
        return new TfBackend(options);
    }
}
