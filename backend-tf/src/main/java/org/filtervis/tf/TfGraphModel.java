package org.filtervis.tf;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.graph.GraphPrep;
import org.filtervis.graph.Names;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;

/**
 * A TensorFlow model in its own format: a frozen GraphDef ({@code .pb}) or a SavedModel folder
 * (variables frozen to constants, function-call wrapping inlined). Layers are TensorFlow op names;
 * the input is the model's float image placeholder, NHWC.
 */
final class TfGraphModel implements Model {
    /** Ops whose outputs are listed first by {@code filtervis layers}: what ends a block or a layer. */
    private static final Set<String> SUGGESTED = Set.of("Relu", "Relu6", "Elu", "Selu", "Softplus", "Sigmoid", "Tanh", "ConcatV2", "AddV2", "Add",
            "MaxPool", "AvgPool", "Mean", "BiasAdd", "Softmax");
    private static final Set<String> NOT_LAYERS = Set.of("Const", "Placeholder", "Identity", "ReadVariableOp", "VarHandleOp", "NoOp", "Shape");

    private final TfBackend backend;
    private final GraphDef graph;
    private final String inputName;
    private final InputSpec input;

    private TfGraphModel(TfBackend backend, GraphDef graph, String signatureInput, String source) {
        this.backend = backend;
        int[] folded = new int[1];
        this.graph = GraphDefs.foldBatchNorm(GraphDefs.inlineCalls(graph), folded);
        this.inputName = imageInput(this.graph, signatureInput, source);
        NodeDef placeholder = node(inputName);
        long[] dims = placeholder.getAttrOrThrow("shape").getShape().getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
        if (dims.length != 4 || dims[3] < 1) {
            throw FiltervisException.failure("input '" + inputName + "' of " + source + " is not an NHWC image (shape " + java.util.Arrays.toString(dims)
                    + "); filtervis needs a [batch, height, width, channels] float input");
        }
        this.input = new InputSpec(inputName, InputSpec.Layout.NHWC, (int) dims[3], (int) dims[1], (int) dims[2]);
    }

    static TfGraphModel frozen(TfBackend backend, Path file) {
        GraphDef g;
        try {
            g = GraphDef.parseFrom(Files.readAllBytes(file));
        } catch (InvalidProtocolBufferException e) {
            throw FiltervisException.failure(file + " is not a frozen TensorFlow GraphDef (" + firstLine(e.getMessage())
                    + "); give a SavedModel folder, a frozen .pb or an .onnx file");
        } catch (IOException e) {
            throw FiltervisException.failure("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (g.getNodeCount() == 0) {
            throw FiltervisException.failure(file + " is not a frozen TensorFlow GraphDef (no nodes); give a SavedModel folder, a frozen .pb or an .onnx file");
        }
        return new TfGraphModel(backend, g, null, file.toString());
    }

    /**
     * Loads a SavedModel (tag {@code serve}) and freezes it: each variable's value is read in the
     * loaded session and becomes a constant, so the graph can be rebuilt at any batch size.
     */
    static TfGraphModel savedModel(TfBackend backend, Path dir) {
        SavedModelBundle bundle;
        try {
            bundle = SavedModelBundle.load(dir.toString(), SavedModelBundle.DEFAULT_TAG);
        } catch (RuntimeException e) {
            throw FiltervisException.failure(dir + " is not a SavedModel TensorFlow can load with tag 'serve' (" + firstLine(e.getMessage()) + ")");
        }
        try (bundle) {
            GraphDef g = GraphDefs.inlineCalls(bundle.graph().toGraphDef());
            GraphDef frozen = GraphDefs.freezeVariables(g, variable -> read(bundle, variable));
            SignatureDef sig = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
            String signatureInput = null;
            if (sig != null && sig.getInputsCount() == 1) {
                signatureInput = GraphDefs.nodeName(sig.getInputsMap().values().iterator().next().getName());
            }
            return new TfGraphModel(backend, frozen, signatureInput, dir.toString());
        }
    }

    /** A variable's value, read in the SavedModel's session. */
    private static TensorProto read(SavedModelBundle bundle, String variable) {
        Graph g = bundle.graph();
        GraphOperation handle = g.operation(variable);
        DataType type = handle.attributes().getAttrType("dtype");
        Output<?> value = g.opBuilder("ReadVariableOp", variable + "/filtervis_read_" + System.nanoTime(), g.baseScope())
                .addInput(handle.output(0)).setAttr("dtype", type).build().output(0);
        try (Result r = bundle.session().runner().fetch(value).run()) {
            Tensor t = r.get(0);
            if (!(t instanceof TFloat32 f)) {
                // Not a float weight (e.g. an int64 step counter): left as a variable read, which the image path never runs.
                return null;
            }
            long[] shape = f.shape().asArray();
            float[] v = new float[(int) f.size()];
            f.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(v, false, false));
            return GraphDefs.floatTensor(shape, v);
        }
    }

    private NodeDef node(String name) {
        return graph.getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst().orElseThrow();
    }

    /** The float placeholder of rank 4: the signature's input where given, else the only one. */
    private static String imageInput(GraphDef g, String signatureInput, String source) {
        List<String> candidates = new ArrayList<>();
        for (NodeDef n : g.getNodeList()) {
            if (n.getOp().equals("Placeholder") && n.getAttrOrThrow("dtype").getType() == DataType.DT_FLOAT) {
                if (n.getName().equals(signatureInput)) {
                    return n.getName();
                }
                candidates.add(n.getName());
            }
        }
        if (candidates.size() != 1) {
            throw FiltervisException.failure(source + " has " + candidates.size() + " float placeholders " + candidates
                    + "; filtervis needs exactly one image input");
        }
        return candidates.get(0);
    }

    @Override
    public InputSpec input() {
        return input;
    }

    /** The model's graph in {@code target}, its image placeholder fixed to [batch, height, width, C]. */
    private void importInto(Graph target, int batch, int height, int width) {
        GraphDef.Builder b = graph.toBuilder();
        for (int i = 0; i < b.getNodeCount(); i++) {
            if (b.getNode(i).getName().equals(inputName)) {
                TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
                for (long d : new long[] {batch, height, width, input.channels()}) {
                    s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
                }
                b.setNode(i, b.getNode(i).toBuilder().putAttr("shape", AttrValue.newBuilder().setShape(s).build()));
            }
        }
        try {
            target.importGraphDef(b.build());
        } catch (IllegalArgumentException e) {
            throw GraphPrep.wrongSize(input, height, width, e.getMessage());
        }
    }

    private void checkSize(int height, int width) {
        if (height < 1 || width < 1) {
            throw FiltervisException.usage("image size " + height + "x" + width + " is not positive; use --size with a positive number");
        }
    }

    @Override
    public List<LayerInfo> layers(int height, int width) {
        checkSize(height, width);
        List<LayerInfo> first = new ArrayList<>();
        List<LayerInfo> rest = new ArrayList<>();
        try (Graph g = new Graph()) {
            importInto(g, 1, height, width);
            Set<GraphOperation> fromInput = g.subgraphFrom(Set.of(g.operation(inputName).output(0)));
            for (NodeDef n : graph.getNodeList()) {
                GraphOperation op = g.operation(n.getName());
                // Identity ops are layers only where someone named them (convert names ONNX tensors so).
                boolean namedIdentity = op != null && op.type().equals("Identity") && !op.name().matches("(.*/)?Identity(_\\d+)?");
                if (op == null || (NOT_LAYERS.contains(op.type()) && !namedIdentity) || op.numOutputs() < 1 || op.output(0).dataType() != DataType.DT_FLOAT
                        || !fromInput.contains(op)) {
                    continue;
                }
                long[] s = op.output(0).shape().asArray();
                if ((s.length != 4 && s.length != 2) || java.util.Arrays.stream(s).anyMatch(d -> d < 1)) {
                    continue;
                }
                boolean suggested = SUGGESTED.contains(op.type());
                LayerInfo info = new LayerInfo(n.getName(), op.type(), java.util.Arrays.stream(s).boxed().toList(), (int) s[s.length - 1], suggested);
                (suggested ? first : rest).add(info);
            }
        }
        first.addAll(rest);
        return first;
    }

    private String resolveLayer(String layer) {
        String name = GraphDefs.nodeName(layer);
        if (graph.getNodeList().stream().anyMatch(n -> n.getName().equals(name))) {
            return layer;
        }
        List<String> all = graph.getNodeList().stream().map(NodeDef::getName).toList();
        throw FiltervisException.usage("unknown layer '" + layer + "'; closest: " + String.join(", ", Names.closest(layer, all, 5))
                + " (filtervis layers lists them all)");
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width) {
        return gradients(layer, height, width, KERAS_BORDER);
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width, int border) {
        checkSize(height, width);
        String tensor = resolveLayer(layer);
        long[] shape;
        try (Graph g = new Graph()) {
            importInto(g, 1, height, width);
            Output<?> out = g.output(tensor);
            if (out.dataType() != DataType.DT_FLOAT || (out.shape().numDimensions() != 4 && out.shape().numDimensions() != 2)) {
                throw FiltervisException.usage("layer '" + layer + "' is not a float [N, H, W, C] or [N, C] tensor; pick another (filtervis layers)");
            }
            shape = out.shape().asArray();
        }
        int channels = (int) shape[shape.length - 1];
        return new TfGradients(backend, input.withSize(height, width), channels, Integer.MAX_VALUE, border, (tf, batch) -> {
            importInto(tf.graph, batch, height, width);
            Output<?> act = tf.graph.output(tensor);
            return new TfGradients.Activation(tf.graph.output(inputName), act, act.shape().numDimensions() - 1);
        }).checked(1);
    }

    /** This model's graph: frozen, inlined, batch norms folded (what {@code convert} writes). */
    GraphDef graphDef() {
        return graph;
    }

    String inputName() {
        return inputName;
    }

    static String firstLine(String s) {
        return org.filtervis.graph.Operators.firstLine(s);
    }

    @Override
    public void close() {}
}
