package org.filtervis.onnx;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.ModelBackend;

/** The ONNX Runtime backend's entry point. Touches no ONNX Runtime class until {@link #create}. */
public final class OnnxBackendProvider implements BackendProvider {
    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "onnx";
    }

    @Override
    public String version() {
        return "ONNX Runtime " + org.filtervis.graph.kit.BuildVersions.load(OnnxBackendProvider.class, "/filtervis-onnx.properties")
                .getProperty("onnxruntime.version");
    }

    @Override
    public List<String> modelFormats() {
        return List.of("onnx");
    }

    @Override
    public List<String> devices() {
        return List.of("cpu", "cuda");
    }

    /** The CPU: app-cli's DeterminismTest checks it across JVMs (CUDA, where there is one, is not tested here). */
    @Override
    public List<String> repeatableOn() {
        return List.of("cpu");
    }

    @Override
    public boolean canOpen(Path model) {
        return model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    @Override
    public ModelBackend create(BackendOptions options) {
        return new OnnxBackend(options);
    }
}
