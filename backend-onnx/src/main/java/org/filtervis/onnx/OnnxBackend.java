package org.filtervis.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.autodiff.Lowering;

/** ONNX Runtime, on the CPU or (with the onnxruntime_gpu build) through CUDA. */
final class OnnxBackend implements ModelBackend {
    private final OrtEnvironment env;
    private final BackendOptions options;
    /** Whether the backward pass is written in the plain forms instead of ONNX Runtime's (tests compare both). */
    private final boolean plainLowering;

    OnnxBackend(BackendOptions options) {
        this(options, false);
    }

    OnnxBackend(BackendOptions options, boolean plainLowering) {
        this.options = options;
        this.plainLowering = plainLowering;
        // FATAL only: ORT would print its error lines before our one-line message (its errors reach us as exceptions).
        this.env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "filtervis");
        if (!List.of("cpu", "cuda").contains(options.device())) {
            throw FiltervisException.usage("unknown device '" + options.device() + "' for backend onnx; use cpu or cuda");
        }
        // Fail at start, not at the first batch, when CUDA cannot load.
        try (OrtSession.SessionOptions probe = sessionOptions()) {
            // nothing to do: building the options loads the execution provider
        }
    }

    /** Options for a new session: threads, full graph optimisation, and the device. */
    OrtSession.SessionOptions sessionOptions() {
        return sessionOptions(options.threads());
    }

    /** The compute threads the user gave, or the machine's processors. */
    int threads() {
        return options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
    }

    /** Whether batches may be split over several single-threaded sessions (the CPU only). */
    boolean splitsBatches() {
        return options.device().equals("cpu");
    }

    /** Options for a new session with {@code threads} intra-op threads (0: ONNX Runtime's default). */
    OrtSession.SessionOptions sessionOptions(int threads) {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            if (threads > 0) {
                so.setIntraOpNumThreads(threads);
                so.setInterOpNumThreads(1);
            }
            if (options.device().equals("cuda")) {
                so.addCUDA(0);
            }
            return so;
        } catch (OrtException e) {
            so.close();
            throw FiltervisException.failure("ONNX Runtime cannot use device '" + options.device() + "': " + firstLine(e.getMessage())
                    + ". CUDA needs an NVIDIA GPU with CUDA 12 and cuDNN 9 and the GPU build (mvn -Pcuda package); otherwise use --device cpu", e);
        }
    }

    /** How backward passes are written: a new {@link OrtLowering} per model built. */
    Lowering lowering() {
        return plainLowering ? Lowering.PLAIN : new OrtLowering();
    }

    OrtEnvironment env() {
        return env;
    }

    @Override
    public List<String> modelFormats() {
        return List.of("onnx");
    }

    @Override
    public Model open(Path model) {
        if (!Files.isRegularFile(model)) {
            throw FiltervisException.usage("model file not found: " + model);
        }
        return new OnnxModelHandle(this, model, OnnxFormat.read(model));
    }

    @Override
    public void close() {
        // The environment is a process-wide singleton that ONNX Runtime keeps until exit.
    }

    static String firstLine(String s) {
        return org.filtervis.graph.Operators.firstLine(s);
    }
}
