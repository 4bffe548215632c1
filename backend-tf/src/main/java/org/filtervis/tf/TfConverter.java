package org.filtervis.tf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.GraphPrep;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.ValueInfo;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.proto.DataType;

/**
 * {@code filtervis convert --to savedmodel}: an ONNX model as a TensorFlow SavedModel written by
 * TensorFlow Java. The SavedModel takes NHWC images (TensorFlow's own layout) named {@code image},
 * for a batch of one at the given size; every ONNX tensor that is a layer keeps its name (leading
 * '/' dropped) as an Identity op, so {@code filtervis layers} finds the same layers in it.
 */
final class TfConverter {
    private TfConverter() {}

    static String tfName(String onnxName) {
        String s = onnxName.replaceAll("[^A-Za-z0-9_./-]", "_").replaceAll("^[^A-Za-z0-9.]+", "");
        return s.isEmpty() ? "tensor" : s;
    }

    static void toSavedModel(TfBackend backend, OnnxModel source, Path output, int height, int width) {
        if (Files.exists(output)) {
            throw FiltervisException.usage("output " + output + " exists; give a new folder for the SavedModel");
        }
        OnnxModel prepared = GraphPrep.prepare(source);
        ValueInfo image = GraphPrep.imageInput(prepared.graph);
        InputSpec input = GraphPrep.inputSpec(prepared.graph, image);
        int h = input.height() > 0 ? input.height() : height;
        int w = input.width() > 0 ? input.width() : width;
        java.util.Set<String> outputs = new java.util.LinkedHashSet<>();
        prepared.graph.outputs.forEach(o -> outputs.add(o.name()));
        OnnxModel cut = GraphPrep.cut(prepared, GraphPrep.imageDims(input, 1, h, w), outputs);
        Path tmp = output.resolveSibling("." + output.getFileName() + ".partial");
        try (Graph g = new Graph()) {
            TfOps tf = new TfOps(g);
            Output<?> placeholder = tf.placeholder("image", DataType.DT_FLOAT, 1, h, w, input.channels());
            // An NCHW model's image, stored NHWC: exactly what its convolutions want.
            boolean nchw = input.layout() == InputSpec.Layout.NCHW;
            Map<String, TfLowering.Value> values;
            try {
                values = new TfLowering(cut.graph, tf).lower(input.name(), new TfLowering.Value(placeholder, nchw));
            } catch (IllegalArgumentException e) {
                throw FiltervisException.usage("the model cannot take " + h + "x" + w + " images (" + TfGraphModel.firstLine(e.getMessage()) + ")");
            }
            Map<String, Output<?>> named = new LinkedHashMap<>();
            for (String tensor : GraphPrep.allNodeOutputs(cut.graph)) {
                TfLowering.Value v = values.get(tensor);
                if (v == null || v.out().dataType() != DataType.DT_FLOAT) {
                    continue;
                }
                int rank = v.out().shape().numDimensions();
                if ((rank == 4 && v.nhwc()) || rank == 2) {
                    String name = tfName(tensor);
                    if (g.operation(name) == null) {
                        named.put(tensor, g.opBuilder("Identity", name, g.baseScope()).addInput(v.out()).build().output(0));
                    }
                }
            }
            Signature.Builder sig = Signature.builder().key(Signature.DEFAULT_KEY).input("image", placeholder);
            for (String o : outputs) {
                if (named.containsKey(o)) {
                    sig.output(tfName(o), named.get(o));
                }
            }
            deleteTree(tmp);
            try (Session s = new Session(g, backend.config())) {
                SavedModelBundle.exporter(tmp.toString()).withSession(s).withSignature(sig.build()).export();
            }
            Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTree(tmp);
            throw FiltervisException.failure("cannot write " + output + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
