package org.filtervis.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.ModelBackend;
import org.filtervis.core.io.AtomicFiles;
import org.filtervis.core.plugin.BackendRegistry;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.keras.KerasImporter;
import org.filtervis.graph.keras.TfjsModel;
import org.filtervis.models.KerasH5;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "convert", description = "Writes a model in another format: a Keras model in TF.js layers format as ONNX (--to onnx),"
        + " an ONNX model as a TensorFlow SavedModel (--to savedmodel).")
final class ConvertCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = Help.MODEL)
    Path model;

    @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "Format to write: onnx (from Keras: TF.js layers or .h5), savedmodel (from ONNX).")
    String format;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = Help.OUTPUT)
    Path output;

    @Option(names = "--backend", paramLabel = "NAME", description = Help.BACKEND)
    String backend;

    @Option(names = "--size", paramLabel = "PX", description = Help.SIZE)
    Integer size;

    @Option(names = "--input-range", paramLabel = "LO:HI", description = Help.INPUT_RANGE)
    String inputRange;

    @Option(names = "--labels", paramLabel = "FILE", description = Help.LABELS)
    Path labels;

    @Override
    public Integer call() {
        if ((inputRange != null || labels != null) && !format.equals("onnx")) {
            throw FiltervisException.usage("--input-range and --labels are recorded by --to onnx only");
        }
        if (format.equals("onnx")) {
            return toOnnx();
        }
        Map<String, BackendProvider> providers = top.registry().providers();
        BackendProvider p = backend != null ? BackendRegistry.choose(providers, backend, model)
                : providers.values().stream().filter(b -> b.modelFormats().contains(format)).findFirst().orElseThrow(() -> FiltervisException.usage(
                        "no backend writes " + format + "; backends and the formats they read: " + providers.keySet() + " (filtervis backends)"));
        int px = size != null ? size : Recipe.KERAS_SIZE;
        try (ModelBackend b = BackendRegistry.create(p, new BackendOptions("cpu", 0))) {
            if (!b.convertsTo().contains(format)) {
                throw FiltervisException.usage("backend " + p.name() + " does not write " + format + "; it writes " + b.convertsTo());
            }
            b.convert(model, format, output, px, px);
        }
        top.out.println("wrote " + output + " (" + format + ", by backend " + p.name() + ")");
        return 0;
    }

    /** Keras (TF.js layers or .h5) to ONNX, by the graph module's importer: no backend needed. */
    private int toOnnx() {
        if (!java.nio.file.Files.exists(model)) {
            throw FiltervisException.usage("model not found: " + model);
        }
        boolean h5 = KerasH5.isH5(model);
        if (!h5 && !TfjsModel.isTfjs(model)) {
            throw FiltervisException.usage(model + " is not a Keras model (a TF.js layers folder with model.json or model.min.js, or that"
                    + " file, or a Keras 2 .h5); convert --to onnx reads those");
        }
        java.util.List<String> names = labels != null ? ModelFiles.readLabels(labels) : null;
        OnnxModel m = KerasImporter.toOnnx(ModelFiles.readKeras(model));
        if (names != null) {
            m.metadata.put(ModelFiles.LABELS_KEY, String.join("\n", names));
        }
        if (inputRange != null) {
            ModelFiles.recordInputRange(m, InputRange.parse(inputRange, null, null));
        }
        byte[] bytes = OnnxFormat.write(m);
        try {
            AtomicFiles.write(output, out -> out.write(bytes));
        } catch (java.io.IOException e) {
            throw FiltervisException.failure("cannot write " + output + ": " + e.getMessage(), e);
        }
        top.out.printf("wrote %s (onnx, %d nodes, input %s NHWC)%n", output, m.graph.nodes.size(), m.graph.inputs.get(0).name());
        return 0;
    }
}
