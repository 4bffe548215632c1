package org.filtervis.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.graph.OnnxFormat;

/**
 * PyTorch through DJL, offline: the natives come from the pytorch-native-cpu jar.
 *
 * <p>libtorch 2.7.1's oneDNN kernel for AVX-512 ({@code jit:avx512_core backward_data}) returns
 * wrong input gradients for 3x3 stride-1 convolutions whose output channels are not a multiple
 * of 16, at batch 2 and more. Starting the JVM with {@code ONEDNN_MAX_CPU_ISA=AVX2} avoids it
 * (the filtervis launcher does). Whatever the CPU and settings, {@link #create} checks exactly
 * that case against a direct computation and refuses to run where it is wrong.
 */
final class DjlBackend implements ModelBackend {
    private final Engine engine;
    private final NDManager root;

    DjlBackend(BackendOptions options) {
        if (!options.device().equals("cpu")) {
            throw FiltervisException.usage("backend djl runs on the cpu only here (pytorch-native-cu128 is not served); use --device cpu");
        }
        System.setProperty("ai.djl.offline", "true");
        if (options.threads() > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        try {
            engine = Engine.getEngine("PyTorch");
        } catch (RuntimeException | LinkageError e) {
            throw FiltervisException.failure("DJL cannot load its PyTorch engine (" + e.getMessage()
                    + "); the plugin folder needs pytorch-engine, pytorch-jni and pytorch-native-cpu", e);
        }
        root = NDManager.newBaseManager("PyTorch");
        try {
            requireCorrectGradients(convolutionGradientError(root, engine));
        } catch (FiltervisException e) {
            root.close();
            throw e;
        }
    }

    /**
     * The input gradient of sum(conv3x3(x, w)) at batch 2 for the shapes the defect hits (8, 24
     * and 40 output channels): each input pixel's gradient is the sum of the kernel taps that
     * reach it, computed here directly.
     *
     * @return the largest relative L2 error of libtorch's gradients
     */
    static double convolutionGradientError(NDManager parent, Engine engine) {
        double worst = 0;
        for (int[] co : new int[][] {{3, 8}, {16, 24}, {64, 40}}) {
            worst = Math.max(worst, convolutionGradientError(parent, engine, co[0], co[1]));
        }
        return worst;
    }

    private static double convolutionGradientError(NDManager parent, Engine engine, int c, int o) {
        int n = 2, h = 12, w = 12;
        float[] weights = new float[o * c * 9];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) Math.sin(i * 0.7);
        }
        float[] got;
        try (NDManager m = parent.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
            float[] pixels = new float[n * c * h * w];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (float) Math.cos(i * 0.3);
            }
            NDArray x = m.create(pixels, new Shape(n, c, h, w));
            x.setRequiresGradient(true);
            NDArray y = Conv2d.conv2d(x, m.create(weights, new Shape(o, c, 3, 3)), null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1)
                    .singletonOrThrow();
            gc.backward(y.sum());
            got = x.getGradient().toFloatArray();
        }
        // Every image's gradient is the same: sum over output channels and the taps that reach a pixel.
        double num = 0, den = 0;
        for (int ci = 0; ci < c; ci++) {
            for (int yy = 0; yy < h; yy++) {
                for (int xx = 0; xx < w; xx++) {
                    double want = 0;
                    for (int oi = 0; oi < o; oi++) {
                        for (int a = 0; a < 3; a++) {
                            for (int b = 0; b < 3; b++) {
                                int oy = yy - a + 1, ox = xx - b + 1;
                                if (oy >= 0 && oy < h && ox >= 0 && ox < w) {
                                    want += weights[((oi * c + ci) * 3 + a) * 3 + b];
                                }
                            }
                        }
                    }
                    for (int img = 0; img < n; img++) {
                        double diff = got[((img * c + ci) * h + yy) * w + xx] - want;
                        num += diff * diff;
                        den += want * want;
                    }
                }
            }
        }
        return Math.sqrt(num / den);
    }

    /** Refuses to run with a libtorch whose convolution gradients are wrong here. */
    static void requireCorrectGradients(double error) {
        if (!(error < 1e-4)) {
            throw FiltervisException.failure(String.format(Locale.ROOT,
                    "libtorch returns wrong convolution gradients on this CPU (relative error %.2g in 3x3 convolutions with 8 to 40 output"
                            + " channels, a known oneDNN AVX-512 defect); start filtervis with ONEDNN_MAX_CPU_ISA=AVX2 in the environment"
                            + " (the launcher ./filtervis does), or use --backend onnx", error));
        }
    }

    Engine engine() {
        return engine;
    }

    NDManager root() {
        return root;
    }

    @Override
    public List<String> modelFormats() {
        return List.of("torchscript", "onnx");
    }

    @Override
    public Model open(Path model) {
        if (!Files.isRegularFile(model)) {
            throw FiltervisException.usage("model file not found: " + model);
        }
        String name = model.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return new DjlOnnxModel(this, OnnxFormat.read(model));
        }
        return new TorchScriptModel(this, model);
    }

    @Override
    public void close() {
        root.close();
    }
}
