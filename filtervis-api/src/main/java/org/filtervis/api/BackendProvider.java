package org.filtervis.api;

import java.nio.file.Path;
import java.util.List;

/**
 * The cheap entry point of a backend, found by {@link java.util.ServiceLoader} (one line in
 * {@code META-INF/services/org.filtervis.api.BackendProvider}).
 *
 * <p>Discovery instantiates every provider, so the constructor and every method except
 * {@link #create} must be cheap: no native libraries, no framework classes loaded, no I/O
 * other than {@link #canOpen} peeking at a file name.
 */
public interface BackendProvider {
    /**
     * The SPI version this interface describes; providers return it from {@link #spiVersion()}.
     * It grows only by default methods, so providers built for any version from
     * {@link #OLDEST_SPI_VERSION} on still work (2 added {@link #repeatableOn()}, 3 {@link #precisions}).
     */
    int SPI_VERSION = 3;

    /** The oldest SPI version whose providers this one still runs. */
    int OLDEST_SPI_VERSION = 1;

    /** The SPI version the provider was compiled against: implement it as {@code return SPI_VERSION;}. */
    int spiVersion();

    /** Short unique name users type after {@code --backend}, e.g. {@code onnx}. */
    String name();

    /** The framework and its version, e.g. {@code ONNX Runtime 1.24.1}. */
    String version();

    /** Model formats it opens, e.g. {@code onnx}. */
    List<String> modelFormats();

    /** Devices it can be asked for, e.g. {@code cpu}, {@code cuda}; the first is the default. */
    List<String> devices();

    /**
     * Devices on which a run repeats bit for bit (same model, layer, seed, size, batch and
     * threads), as this backend's own tests check across JVMs; empty when it promises nothing.
     */
    default List<String> repeatableOn() {
        return List.of();
    }

    /**
     * The precisions it computes in on a CPU with these flags (as /proc/cpuinfo names them, e.g.
     * {@code amx_bf16}, {@code avx512_bf16}), fp32 first. A precision is offered only where the CPU
     * runs it natively: never an emulation slower than fp32.
     */
    default List<String> precisions(java.util.Set<String> cpuFlags) {
        return List.of(BackendOptions.FP32);
    }

    /** Whether this backend opens the given model file (judged by its name alone). */
    boolean canOpen(Path model);

    /**
     * Loads the framework (native libraries load here, never before) and returns a backend.
     * The caller closes it.
     *
     * @throws FiltervisException when the device cannot be used, with a message saying why
     */
    ModelBackend create(BackendOptions options);
}
