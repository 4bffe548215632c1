package org.filtervis.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.graph.ConstantFolder;
import org.filtervis.graph.GradientGraph;
import org.filtervis.graph.LayerSuggestions;
import org.filtervis.graph.GraphPrep;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.ValueInfo;

/**
 * An opened ONNX model. Shapes come from a probe run: ONNX Runtime Java has no shape inference,
 * so the cut forward graph runs once on zeros with every tensor as an output.
 */
final class OnnxModelHandle implements Model {
    private final OnnxBackend backend;
    private final Path file;
    private final OnnxModel prepared;
    private final ValueInfo image;
    private final InputSpec input;
    /** Set when the file already is a filtervis gradient model: it is run as it is. */
    private final String storedLayer;

    OnnxModelHandle(OnnxBackend backend, Path file, OnnxModel model) {
        this.backend = backend;
        this.file = file;
        this.storedLayer = model.metadata.get(ChannelGradientModel.LAYER_KEY);
        this.prepared = storedLayer != null ? model : GraphPrep.prepare(model);
        if (storedLayer != null) {
            this.image = model.graph.inputs.stream().filter(v -> !v.name().equals(ChannelGradientModel.CHANNELS)).findFirst().orElseThrow();
        } else {
            this.image = GraphPrep.imageInput(prepared.graph);
        }
        this.input = GraphPrep.inputSpec(prepared.graph, image);
    }

    @Override
    public InputSpec input() {
        return input;
    }

    long[] imageDims(int batch, int height, int width) {
        return GraphPrep.imageDims(input, batch, height, width);
    }

    @Override
    public List<LayerInfo> layers(int height, int width) {
        if (storedLayer != null) {
            int channels = Integer.parseInt(prepared.metadata.getOrDefault("filtervis.gradient.channels", "0"));
            return List.of(new LayerInfo(storedLayer, "gradient model", List.of(), channels, true));
        }
        Set<String> all = GraphPrep.allNodeOutputs(prepared.graph);
        return LayerSuggestions.layers(prepared.graph, probe(all, (int) Math.max(1, image.dim(0)), height, width));
    }

    /** Shapes of the float tensors among {@code tensors} for a batch and size (non-float ones are skipped). */
    Map<String, long[]> probe(Set<String> tensors, int batch, int height, int width) {
        OnnxModel cut = GraphPrep.cut(prepared, imageDims(batch, height, width), tensors);
        Map<String, long[]> shapes = new HashMap<>();
        try (OrtSession.SessionOptions so = backend.sessionOptions();
                OrtSession session = createSession(OnnxFormat.write(cut), so);
                OnnxTensor zeros = OnnxTensor.createTensor(backend.env(),
                        FloatBuffer.allocate(batch * input.channels() * height * width), imageDims(batch, height, width));
                OrtSession.Result result = session.run(Map.of(image.name(), zeros))) {
            for (Map.Entry<String, OnnxValue> e : result) {
                if (e.getValue() instanceof OnnxTensor t) {
                    shapes.put(e.getKey(), t.getInfo().getShape());
                }
            }
        } catch (OrtException e) {
            throw GraphPrep.wrongSize(input, height, width, e.getMessage());
        }
        return shapes;
    }

    private OrtSession createSession(byte[] bytes, OrtSession.SessionOptions so) throws OrtException {
        return backend.env().createSession(bytes, so);
    }

    /** The gradient model for a layer, batch and size, with the shapes it was built from. */
    OnnxModel gradientModel(String layer, int batch, int height, int width) {
        return gradientModel(layer, batch, height, width, false, KERAS_BORDER);
    }

    private OnnxModel gradientModel(String layer, int batch, int height, int width, boolean redirectRelu, int border) {
        String tensor = GraphPrep.resolveLayer(prepared.graph, layer);
        OnnxModel cut = GraphPrep.cut(prepared, imageDims(batch, height, width), Set.of(tensor));
        GraphPrep.foldBatchNorm(cut.graph, Set.of(tensor));
        Map<String, long[]> shapes = probe(new LinkedHashSet<>(GraphPrep.allNodeOutputs(cut.graph)), batch, height, width);
        ConstantFolder.fold(cut.graph, shapes);
        OnnxModel gradient = ChannelGradientModel.build(cut, tensor, shapes, redirectRelu, border, backend.lowering());
        gradient.metadata.put("filtervis.gradient.channels", Long.toString(shapes.get(tensor)[1]));
        return gradient;
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width) {
        return gradients(layer, height, width, KERAS_BORDER);
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width, int border) {
        checkSize(height, width);
        org.filtervis.graph.kit.BackendGradients.requireBorder(border);
        if (storedLayer != null) {
            if (border != KERAS_BORDER) {
                throw FiltervisException.usage("this gradient model was exported with the Keras example's 2-position border; use --border 2,"
                        + " or the model it was exported from");
            }
            if (!layer.equals(storedLayer)) {
                throw FiltervisException.usage("unknown layer '" + layer + "'; this gradient model was built for layer '" + storedLayer + "'");
            }
            if (height != input.height() || width != input.width()) {
                throw FiltervisException.usage("this gradient model was built for " + input.height() + "x" + input.width()
                        + " images; use --size " + input.height());
            }
            int channels = Integer.parseInt(prepared.metadata.getOrDefault("filtervis.gradient.channels", "0"));
            GradientSession session = newSession(prepared, imageDims((int) image.dim(0), height, width), backend.threads());
            return new OnnxGradients(input.withSize(height, width), channels, (n, threads) -> session, session::close, session.batch(),
                    backend.threads(), null);
        }
        String tensor = GraphPrep.resolveLayer(prepared.graph, layer);
        int fixed = (int) image.dim(0);
        // Building the gradient model once here reports an unknown size or an unsupported
        // operator before the caller writes anything.
        OnnxModel check = gradientModel(tensor, Math.max(fixed, 1), height, width, false, border);
        int channels = Integer.parseInt(check.metadata.get("filtervis.gradient.channels"));
        int maxBatch = fixed > 0 && !runsAtOtherBatch(tensor, fixed, height, width) ? fixed : Integer.MAX_VALUE;
        return providerFor(tensor, height, width, channels, maxBatch, false, border);
    }

    /** One session per batch size and thread count, built on first use (by whichever thread needs it first). */
    private OnnxGradients providerFor(String tensor, int height, int width, int channels, int maxBatch, boolean redirectRelu, int border) {
        Map<List<Integer>, GradientSession> sessions = new java.util.concurrent.ConcurrentHashMap<>();
        int threads = backend.splitsBatches() ? backend.threads() : 1;
        return new OnnxGradients(input.withSize(height, width), channels,
                (n, t) -> sessions.computeIfAbsent(List.of(n, t),
                        k -> newSession(gradientModel(tensor, n, height, width, redirectRelu, border), imageDims(n, height, width), t)),
                () -> sessions.values().forEach(GradientSession::close), maxBatch, threads,
                redirectRelu ? null : () -> providerFor(tensor, height, width, channels, maxBatch, true, border));
    }

    /**
     * Exporters often write a fixed batch of 1 although nothing depends on it; if the graph up to
     * the layer also runs with another batch, batches are free. Otherwise they are pinned.
     */
    private boolean runsAtOtherBatch(String tensor, int fixed, int height, int width) {
        try {
            probe(Set.of(tensor), fixed + 1, height, width);
            return true;
        } catch (FiltervisException e) {
            return false;
        }
    }

    private void checkSize(int height, int width) {
        if (height < 1 || width < 1) {
            throw FiltervisException.usage("image size " + height + "x" + width + " is not positive; use --size with a positive number");
        }
    }

    private GradientSession newSession(OnnxModel gradient, long[] dims, int threads) {
        try {
            OrtSession.SessionOptions so = backend.sessionOptions(threads);
            return new GradientSession(backend.env(), backend.env().createSession(OnnxFormat.write(gradient), so), image.name(), dims);
        } catch (OrtException e) {
            throw FiltervisException.failure("ONNX Runtime cannot load the gradient model of " + file.getFileName() + ": "
                    + OnnxBackend.firstLine(e.getMessage()), e);
        }
    }

    @Override
    public Optional<org.filtervis.api.Differentiator> differentiator(List<String> layers, int height, int width) {
        checkSize(height, width);
        if (storedLayer != null) {
            return Optional.empty();
        }
        Map<String, String> tensorOf = org.filtervis.graph.kit.BackendDifferentiator.resolve(prepared.graph, layers);
        List<String> tensors = List.copyOf(new LinkedHashSet<>(tensorOf.values()));
        int fixed = (int) image.dim(0);
        Map<String, long[]> probed = probe(new LinkedHashSet<>(tensors), Math.max(1, fixed), height, width);
        Map<String, long[]> shapes = org.filtervis.graph.kit.BackendDifferentiator.perImage(tensorOf, probed);
        int maxBatch = fixed > 0 && !runsAtOtherBatch(tensors.get(0), fixed, height, width) ? fixed : Integer.MAX_VALUE;
        return Optional.of(new OnnxDifferentiator(backend, input.withSize(height, width), image.name(), tensorOf, shapes, maxBatch, (n, threads) -> {
            OnnxModel cut = GraphPrep.cut(prepared, imageDims(n, height, width), new LinkedHashSet<>(tensors));
            try {
                OrtSession.SessionOptions so = backend.sessionOptions(threads);
                // The backward graph reads each layer once, in the order of tensorOf's seeds.
                List<String> seeded = List.copyOf(tensorOf.values());
                java.util.function.Supplier<OnnxModel> seededModel = () -> {
                    Map<String, long[]> all = probe(new LinkedHashSet<>(GraphPrep.allNodeOutputs(cut.graph)), n, height, width);
                    OnnxModel forBackward = cut.copy();
                    ConstantFolder.fold(forBackward.graph, all);
                    return GradientGraph.buildSeeded(forBackward, seeded, all, seeded, backend.lowering());
                };
                return new OnnxDifferentiator.Sessions(createSession(OnnxFormat.write(cut), so), () -> {
                    // The whole backward model also outputs the activations: seeds given up front need one run of it.
                    OnnxModel whole = seededModel.get();
                    seeded.forEach(t -> whole.graph.outputs.add(org.filtervis.graph.ValueInfo.untyped(t)));
                    try {
                        return createSession(OnnxFormat.write(whole), backend.sessionOptions(threads));
                    } catch (OrtException e) {
                        throw FiltervisException.failure("ONNX Runtime cannot load the gradient model of " + file.getFileName() + ": "
                                + OnnxBackend.firstLine(e.getMessage()), e);
                    }
                }, () -> splitSessions(GradientGraph.split(seededModel.get(), seeded), threads));
            } catch (OrtException e) {
                throw FiltervisException.failure("ONNX Runtime cannot load the model of " + file.getFileName() + ": " + OnnxBackend.firstLine(e.getMessage()), e);
            }
        }, (from, fromDims, outputs) -> {
            OnnxModel cut = GraphPrep.cutFrom(prepared, from, fromDims, outputs);
            try {
                return createSession(OnnxFormat.write(cut), backend.sessionOptions(backend.threads()));
            } catch (OrtException e) {
                throw FiltervisException.failure("ONNX Runtime cannot load the model of " + file.getFileName() + " from '" + from + "': "
                        + OnnxBackend.firstLine(e.getMessage()), e);
            }
        }, backend.splitsBatches() ? backend.threads() : 1));
    }

    /** Sessions for the two halves; the backward half's inputs typed from what the forward half outputs. */
    private OnnxDifferentiator.Split splitSessions(GradientGraph.Split split, int threads) {
        try {
            OrtSession forward = createSession(OnnxFormat.write(split.forward()), backend.sessionOptions(threads));
            Map<String, ai.onnxruntime.NodeInfo> outputs = forward.getOutputInfo();
            OnnxModel backward = split.backward();
            backward.graph.inputs.replaceAll(v -> {
                if (v.type() != null) {
                    return v;
                }
                ai.onnxruntime.TensorInfo t = (ai.onnxruntime.TensorInfo) outputs.get(v.name()).getInfo();
                long[] shape = t.getShape();
                List<Object> dims = new java.util.ArrayList<>();
                for (int i = 0; i < shape.length; i++) {
                    dims.add(shape[i] >= 0 ? (Object) shape[i] : v.name() + "_dim" + i);
                }
                String type = t.onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "");
                return new org.filtervis.graph.ValueInfo(v.name(), org.filtervis.graph.DataType.valueOf(type), dims);
            });
            try {
                return new OnnxDifferentiator.Split(forward, createSession(OnnxFormat.write(backward), backend.sessionOptions(threads)),
                        split.saved(), split.backwardReadsImage());
            } catch (OrtException | RuntimeException e) {
                forward.close();
                throw e;
            }
        } catch (OrtException e) {
            throw FiltervisException.failure("ONNX Runtime cannot load the gradient model of " + file.getFileName() + ": " + OnnxBackend.firstLine(e.getMessage()), e);
        }
    }

    @Override
    public Optional<org.filtervis.api.ReceptiveField> receptiveField(String layer) {
        if (storedLayer != null) {
            return Optional.empty();
        }
        return org.filtervis.graph.ReceptiveFields.of(prepared.graph, GraphPrep.resolveLayer(prepared.graph, layer));
    }

    @Override
    public Optional<GradientExporter> gradientExporter() {
        if (storedLayer != null) {
            return Optional.empty();
        }
        return Optional.of((layer, batch, height, width, output) -> {
            checkSize(height, width);
            byte[] bytes = OnnxFormat.write(gradientModel(layer, batch, height, width));
            Path tmp = output.resolveSibling("." + output.getFileName() + ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the message below is what matters
                }
                throw FiltervisException.failure("cannot write " + output + ": " + e.getMessage());
            }
        });
    }

    @Override
    public void close() {}
}
