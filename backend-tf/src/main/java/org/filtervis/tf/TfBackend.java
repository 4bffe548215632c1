package org.filtervis.tf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.graph.OnnxFormat;
import org.tensorflow.proto.ConfigProto;

/**
 * TensorFlow through TensorFlow Java, offline: the natives come from the tensorflow-core-native
 * classifier jar. JavaCPP unpacks them once (~700 MB) into a cache folder: the
 * {@code org.bytedeco.javacpp.cachedir} property where set, else {@code ~/.cache/filtervis/javacpp}
 * (or {@code $FILTERVIS_CACHE/javacpp}), so it is found and removed in one known place.
 */
final class TfBackend implements ModelBackend {
    private final ConfigProto config;

    TfBackend(BackendOptions options) {
        if (!options.device().equals("cpu")) {
            throw FiltervisException.usage("backend tf runs on the cpu only here (tensorflow-core-native has no CUDA build for linux-x86_64 in 1.1.0); use --device cpu");
        }
        if (System.getProperty("org.bytedeco.javacpp.cachedir") == null) {
            System.setProperty("org.bytedeco.javacpp.cachedir", cacheDir().toString());
        }
        ConfigProto.Builder c = ConfigProto.newBuilder().setInterOpParallelismThreads(1);
        if (options.threads() > 0) {
            c.setIntraOpParallelismThreads(options.threads());
        }
        config = c.build();
        try {
            org.tensorflow.TensorFlow.version();
            registerGradients();
        } catch (RuntimeException | LinkageError e) {
            throw FiltervisException.failure("TensorFlow Java cannot load its native library (" + e.getMessage()
                    + "); the plugin folder needs tensorflow-core-api and tensorflow-core-native-" + TfBackendProvider.VERSIONS.getProperty("tensorflow.version")
                    + "-linux-x86_64.jar, and the cache " + System.getProperty("org.bytedeco.javacpp.cachedir") + " must be writable", e);
        }
    }

    private static boolean gradientsRegistered;

    /**
     * Gradients TensorFlow's C++ graph API lacks for ops that frozen Keras graphs contain on the
     * image path: IdentityN (Keras wraps custom-gradient activations such as swish in it) passes
     * each gradient through; a missing one becomes zeros, never null.
     */
    static synchronized void registerGradients() {
        if (gradientsRegistered) {
            return;
        }
        gradientsRegistered = true;
        org.tensorflow.TensorFlow.registerCustomGradient("IdentityN", (tf, op, grads) -> {
            List<org.tensorflow.Operand<?>> out = new java.util.ArrayList<>();
            for (int i = 0; i < grads.size(); i++) {
                out.add(grads.get(i) != null ? grads.get(i) : tf.zerosLike(op.input(i)));
            }
            return out;
        });
    }

    static Path cacheDir() {
        String base = System.getenv("FILTERVIS_CACHE");
        Path root = base != null && !base.isBlank() ? Path.of(base) : Path.of(System.getProperty("user.home"), ".cache", "filtervis");
        return root.resolve("javacpp");
    }

    ConfigProto config() {
        return config;
    }

    @Override
    public List<String> modelFormats() {
        return List.of("savedmodel", "frozen-graphdef", "onnx");
    }

    @Override
    public Model open(Path model) {
        if (TfBackendProvider.isSavedModel(model)) {
            return TfGraphModel.savedModel(this, model);
        }
        if (model.getFileName().toString().equals("saved_model.pb") && model.getParent() != null && TfBackendProvider.isSavedModel(model.getParent())) {
            // The SavedModel's own file given: the folder is meant.
            return TfGraphModel.savedModel(this, model.getParent());
        }
        if (!Files.isRegularFile(model)) {
            throw FiltervisException.usage("model file not found: " + model
                    + (Files.isDirectory(model) ? " is a folder without saved_model.pb; give a SavedModel folder, a frozen .pb or an .onnx file" : ""));
        }
        String name = model.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".pb")) {
            return TfGraphModel.frozen(this, model);
        }
        return new TfOnnxModel(this, OnnxFormat.read(model));
    }

    @Override
    public List<String> convertsTo() {
        return List.of("savedmodel");
    }

    @Override
    public void convert(Path model, String format, Path output, int height, int width) {
        if (!format.equals("savedmodel")) {
            throw FiltervisException.usage("backend tf converts to savedmodel, not " + format);
        }
        if (!Files.isRegularFile(model) || !model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            throw FiltervisException.usage("convert --to savedmodel reads an .onnx file; " + model + " is not one");
        }
        TfConverter.toSavedModel(this, OnnxFormat.read(model), output, height, width);
    }

    @Override
    public void close() {}
}
