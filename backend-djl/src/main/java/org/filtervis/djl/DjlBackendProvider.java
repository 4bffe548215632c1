package org.filtervis.djl;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.ModelBackend;

/**
 * The DJL backend's entry point (PyTorch engine). Loads no DJL class until {@link #create}.
 * It opens TorchScript files by itself; ONNX models when chosen with {@code --backend djl}
 * (the ONNX Runtime backend stays the default for them).
 */
public final class DjlBackendProvider implements BackendProvider {
    static final Properties VERSIONS = org.filtervis.graph.kit.BuildVersions.load(DjlBackendProvider.class, "/filtervis-djl.properties");

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "djl";
    }

    @Override
    public String version() {
        return "DJL " + VERSIONS.getProperty("djl.version") + ", PyTorch " + VERSIONS.getProperty("pytorch.version");
    }

    @Override
    public List<String> modelFormats() {
        return List.of("torchscript", "onnx");
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

    /**
     * fp32 only: DJL 0.36's PyTorch binding aborts the JVM when asked for a bfloat16 tensor
     * ({@code NDArray.toType(DataType.BFLOAT16)} ends in "terminate called without an active
     * exception", measured 2026-11-29), so there is no safe way to bfloat16 here yet.
     */
    @Override
    public List<String> precisions(java.util.Set<String> cpuFlags) {
        return List.of(BackendOptions.FP32);
    }

    @Override
    public boolean canOpen(Path model) {
        String name = model.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript");
    }

    @Override
    public ModelBackend create(BackendOptions options) {
        return new DjlBackend(options);
    }
}
