package org.filtervis.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.Tensor;
import org.filtervis.testkit.BackendTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;

/**
 * TensorFlow's own formats: a SavedModel written by {@code convert --to savedmodel}, a frozen GraphDef
 * with inference FusedBatchNormV3 (folded on load), and the same network wrapped in a function call
 * the way Keras exports wrap it (inlined on load), as a frozen graph and as a SavedModel.
 */
class TfFormatsTest {
    static final ModelBackend TF = TfTestBackend.INSTANCE;
    static final int H = 12;

    @TempDir
    Path dir;

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    static String weight(GraphBuilder b, String name, long... shape) {
        float[] v = random((int) Tensor.elements(shape), name.hashCode());
        for (int i = 0; i < v.length; i++) {
            v[i] *= 0.5f;
        }
        return b.weight(name, Tensor.ofFloats(shape, v));
    }

    /** conv + BatchNormalization + ReLU, a dilated conv + ReLU, pooling and a classifier. */
    static Path onnxModel(Path dir) throws Exception {
        GraphBuilder b = new GraphBuilder("small", 17);
        String x = b.input("x", 1L, 3L, (long) H, (long) H);
        String c1 = b.node("Conv", "conv1", List.of(x, weight(b, "w1", 6, 3, 3, 3)), Attribute.of("pads", new long[] {1, 1, 1, 1}));
        String bn = b.node("BatchNormalization", "bn1", List.of(c1, weight(b, "s", 6), weight(b, "o", 6), weight(b, "m", 6),
                b.weight("v", Tensor.ofFloats(new long[] {6}, 0.5f, 1f, 1.5f, 2f, 0.7f, 1.2f))));
        String r1 = b.node("Relu", "relu1", List.of(bn));
        String c2 = b.node("Conv", "conv2", List.of(r1, weight(b, "w2", 4, 6, 3, 3), weight(b, "b2", 4)),
                Attribute.of("pads", new long[] {2, 2, 2, 2}), Attribute.of("dilations", new long[] {2, 2}));
        String r2 = b.node("Relu", "relu2", List.of(c2));
        String p = b.node("MaxPool", "pool", List.of(r2), Attribute.of("kernel_shape", new long[] {2, 2}), Attribute.of("strides", new long[] {2, 2}));
        String g = b.node("GlobalAveragePool", "gap", List.of(p));
        String f = b.node("Flatten", "flat", List.of(g));
        String logits = b.node("Gemm", "fc", List.of(f, weight(b, "fw", 5, 4), weight(b, "fb", 5)), Attribute.of("transB", 1L));
        Path file = dir.resolve("small.onnx");
        Files.write(file, OnnxFormat.write(b.output(logits)));
        return file;
    }

    static float[] nchwToNhwc(float[] v, int n, int c, int h, int w) {
        return TfLowering.permute(v, new long[] {n, c, h, w}, new int[] {0, 2, 3, 1});
    }

    @Test
    void convertedSavedModelLoadsBackWithTheSameGradients() throws Exception {
        Path onnx = onnxModel(dir);
        Path saved = dir.resolve("small_savedmodel");
        TF.convert(onnx, "savedmodel", saved, H, H);
        assertTrue(Files.isRegularFile(saved.resolve("saved_model.pb")));
        assertFalse(Files.exists(dir.resolve(".small_savedmodel.partial")), "no partial output left");
        assertThrows(FiltervisException.class, () -> TF.convert(onnx, "savedmodel", saved, H, H), "an existing output is refused");
        try (Model viaFile = TF.open(saved.resolve("saved_model.pb"))) {
            assertEquals(org.filtervis.api.InputSpec.Layout.NHWC, viaFile.input().layout(), "saved_model.pb stands for its folder");
        }

        int[] filters = {0, 3};
        float[] nchw = random(2 * 3 * H * H, 11);
        float[] nhwc = nchwToNhwc(nchw, 2, 3, H, H);
        try (Model fromOnnx = TF.open(onnx); Model fromSaved = TF.open(saved)) {
            List<String> names = fromSaved.layers(H, H).stream().map(LayerInfo::name).toList();
            assertTrue(names.contains("relu2_out") || names.stream().anyMatch(s -> s.startsWith("relu2")), "layers by the ONNX tensor names: " + names);
            String layer = names.stream().filter(s -> s.startsWith("relu2")).findFirst().orElseThrow();
            String onnxLayer = fromOnnx.layers(H, H).stream().map(LayerInfo::name).filter(s -> s.startsWith("relu2")).findFirst().orElseThrow();
            float[] want = new float[nchw.length];
            float[] wantObj = new float[2];
            try (GradientProvider p = fromOnnx.gradients(onnxLayer, H, H)) {
                p.compute(nchw, filters, wantObj, want);
            }
            float[] got = new float[nhwc.length];
            float[] gotObj = new float[2];
            try (GradientProvider p = fromSaved.gradients(layer, H, H)) {
                assertEquals(4, p.channels());
                p.compute(nhwc, filters, gotObj, got);
            }
            assertTrue(BackendTesting.sum(want) != 0);
            assertEquals(wantObj[0], gotObj[0], 1e-5 * Math.abs(wantObj[0]) + 1e-7);
            assertEquals(wantObj[1], gotObj[1], 1e-5 * Math.abs(wantObj[1]) + 1e-7);
            double err = BackendTesting.relativeError(got, nchwToNhwc(want, 2, 3, H, H));
            assertTrue(err < 1e-5, "SavedModel vs ONNX gradients: " + err);
        }
    }

    /** A TensorFlow graph: Conv2D, inference FusedBatchNormV3, Relu named "act", on a placeholder "input". */
    static Output<?>[] batchNormNetwork(TfOps tf) {
        Output<?> x = tf.placeholder("input", DataType.DT_FLOAT, -1, H, H, 3);
        Output<?> conv = tf.op("Conv2D", "conv", b -> b.setAttr("strides", new long[] {1, 1, 1, 1}).setAttr("padding", "SAME"), x,
                tf.floats("filter", new long[] {3, 3, 3, 5}, random(135, 3)));
        Output<?> bn = tf.build("FusedBatchNormV3", "bn", b -> b.setAttr("epsilon", 1e-3f).setAttr("is_training", false), conv,
                tf.floats("gamma", new long[] {5}, random(5, 4)), tf.floats("beta", new long[] {5}, random(5, 5)),
                tf.floats("mean", new long[] {5}, random(5, 6)), tf.floats("var", new long[] {5}, new float[] {0.5f, 1, 2, 0.3f, 1.1f})).output(0);
        Output<?> act = tf.graph.opBuilder("Relu", "act", tf.graph.baseScope()).addInput(bn).build().output(0);
        return new Output<?>[] {x, act};
    }

    /** TensorFlow's own gradient of the objective through the unfolded graph: the oracle. */
    static float[] directGradient(float[] images, int[] filters, float[] objectives) {
        try (Graph g = new Graph()) {
            TfOps tf = new TfOps(g);
            Output<?>[] net = batchNormNetwork(tf);
            // Same objective as the backend, built by the backend's own objective code on the unfolded graph.
            TfGradients provider = new TfGradients((TfBackend) TF, new org.filtervis.api.InputSpec("input", org.filtervis.api.InputSpec.Layout.NHWC, 3, H, H),
                    5, Integer.MAX_VALUE, 2, (t, batch) -> {
                        t.graph.importGraphDef(g.toGraphDef());
                        return new TfGradients.Activation(t.graph.output("input"), t.graph.output("act"), 3);
                    });
            float[] grad = new float[images.length];
            provider.compute(images, filters, objectives, grad);
            provider.close();
            return grad;
        }
    }

    private void assertSameAsDirect(Model model, String layer) {
        int[] filters = {1, 4};
        float[] x = random(2 * H * H * 3, 21);
        float[] wantObj = new float[2];
        float[] want = directGradient(x, filters, wantObj);
        float[] gotObj = new float[2];
        float[] got = new float[x.length];
        try (GradientProvider p = model.gradients(layer, H, H)) {
            p.compute(x, filters, gotObj, got);
        }
        assertEquals(wantObj[0], gotObj[0], 1e-5 * Math.abs(wantObj[0]) + 1e-6);
        assertEquals(wantObj[1], gotObj[1], 1e-5 * Math.abs(wantObj[1]) + 1e-6);
        double err = BackendTesting.relativeError(got, want);
        assertTrue(err < 1e-5, "gradient vs TensorFlow's own through FusedBatchNormV3: " + err);
    }

    @Test
    void frozenGraphWithFusedBatchNormIsFoldedAndGivesTensorFlowsGradients() throws Exception {
        Path pb = dir.resolve("frozen.pb");
        try (Graph g = new Graph()) {
            batchNormNetwork(new TfOps(g));
            Files.write(pb, g.toGraphDef().toByteArray());
        }
        try (Model m = TF.open(pb)) {
            assertEquals(org.filtervis.api.InputSpec.Layout.NHWC, m.input().layout());
            List<LayerInfo> layers = m.layers(H, H);
            assertTrue(layers.stream().anyMatch(l -> l.name().equals("act") && l.suggested()), "the ReLU is suggested: " + layers);
            assertTrue(layers.stream().anyMatch(l -> l.opType().equals("Conv2D") && !l.suggested()), "the bare convolution is not: " + layers);
            assertFalse(((TfGraphModel) m).graphDef().getNodeList().stream().anyMatch(n -> n.getOp().startsWith("FusedBatchNorm")),
                    "FusedBatchNormV3 folded away");
            assertSameAsDirect(m, "act");
            FiltervisException e = assertThrows(FiltervisException.class, () -> m.gradients("actt", H, H));
            assertTrue(e.getMessage().contains("act"), e.getMessage());
        }
    }

    /** The network as a function called from an outer graph: what Keras SavedModels look like inside. */
    static Graph wrapped(Graph inner) {
        Output<?> innerX = inner.output("input");
        ConcreteFunction f = ConcreteFunction.create(Signature.builder().input("x", innerX).output("y", inner.output("act")).build(), inner);
        Graph outer = new Graph();
        TfOps tf = new TfOps(outer);
        Output<?> x = tf.placeholder("serving_input", DataType.DT_FLOAT, -1, H, H, 3);
        var y = f.call(outer.baseScope(), x);
        outer.opBuilder("Identity", "serving_output", outer.baseScope()).addInput(y.asOutput()).build();
        return outer;
    }

    @Test
    void functionCallWrappingIsInlinedInFrozenGraphsAndSavedModels() throws Exception {
        Path pb = dir.resolve("wrapped.pb");
        Path saved = dir.resolve("wrapped_savedmodel");
        try (Graph inner = new Graph()) {
            batchNormNetwork(new TfOps(inner));
            try (Graph outer = wrapped(inner)) {
                GraphDef def = outer.toGraphDef();
                assertTrue(def.getNodeList().stream().anyMatch(n -> n.getOp().endsWith("PartitionedCall")), "the test graph wraps a call");
                Files.write(pb, def.toByteArray());
                try (Session s = new Session(outer)) {
                    SavedModelBundle.exporter(saved.toString()).withSession(s).withSignature(Signature.builder().key(Signature.DEFAULT_KEY)
                            .input("x", outer.output("serving_input")).output("y", outer.output("serving_output")).build()).export();
                }
            }
        }
        for (Path model : new Path[] {pb, saved}) {
            try (Model m = TF.open(model)) {
                assertEquals("serving_input", m.input().name());
                // TensorFlow names the function body's ReLU (act, or act_0 when made unique): it is reachable by that name.
                List<LayerInfo> layers = m.layers(H, H);
                String act = layers.stream().filter(l -> l.opType().equals("Relu")).map(LayerInfo::name).findFirst().orElseThrow();
                assertTrue(act.startsWith("act"), "inner layers reachable by name after inlining: " + layers);
                assertFalse(((TfGraphModel) m).graphDef().getNodeList().stream().anyMatch(n -> n.getOp().endsWith("PartitionedCall")), "inlined");
                assertSameAsDirect(m, act);
            }
        }
    }

    /**
     * Keras's layout exactly: the filter is a resource variable (VarHandleOp) in the outer graph,
     * handed to the function as a resource argument and read inside by ReadVariableOp.
     */
    @Test
    void savedModelWithResourceVariablesPassedIntoTheFunctionIsFrozen() throws Exception {
        Path saved = dir.resolve("keras_like");
        float[] filterValues = random(135, 3);
        try (Graph inner = new Graph()) {
            TfOps tf = new TfOps(inner);
            Output<?> x = tf.placeholder("input", DataType.DT_FLOAT, -1, H, H, 3);
            Output<?> handle = tf.placeholder("filter_handle", DataType.DT_RESOURCE);
            Output<?> filter = tf.op("ReadVariableOp", "conv/ReadVariableOp", b -> b.setAttr("dtype", DataType.DT_FLOAT), handle);
            Output<?> conv = tf.op("Conv2D", "conv", b -> b.setAttr("strides", new long[] {1, 1, 1, 1}).setAttr("padding", "SAME"), x, filter);
            Output<?> bn = tf.build("FusedBatchNormV3", "bn", b -> b.setAttr("epsilon", 1e-3f).setAttr("is_training", false), conv,
                    tf.floats("gamma", new long[] {5}, random(5, 4)), tf.floats("beta", new long[] {5}, random(5, 5)),
                    tf.floats("mean", new long[] {5}, random(5, 6)), tf.floats("var", new long[] {5}, new float[] {0.5f, 1, 2, 0.3f, 1.1f})).output(0);
            Output<?> act = inner.opBuilder("Relu", "act", inner.baseScope()).addInput(bn).build().output(0);
            ConcreteFunction f = ConcreteFunction.create(Signature.builder().input("x", x).input("w", handle).output("y", act).build(), inner);
            try (Graph outer = new Graph()) {
                TfOps o = new TfOps(outer);
                Output<?> in = o.placeholder("serving_input", DataType.DT_FLOAT, -1, H, H, 3);
                Output<?> var = outer.opBuilder("VarHandleOp", "conv_filter", outer.baseScope()).setAttr("dtype", DataType.DT_FLOAT)
                        .setAttr("shape", org.tensorflow.ndarray.Shape.of(3, 3, 3, 5)).setAttr("shared_name", "conv_filter").build().output(0);
                outer.opBuilder("AssignVariableOp", "conv_filter/assign", outer.baseScope()).addInput(var)
                        .addInput(o.floats("conv_filter/initial", new long[] {3, 3, 3, 5}, filterValues)).setAttr("dtype", DataType.DT_FLOAT).build();
                // A checkpoint and its restore op, as TensorFlow 2 writes them (TensorFlow Java's exporter skips resource variables).
                Output<?> file = o.placeholder("saver_filename", DataType.DT_STRING);
                Output<?> names = strings(o, "conv_filter");
                Output<?> slices = strings(o, "");
                Output<?> read = o.op("ReadVariableOp", "conv_filter/read", b -> b.setAttr("dtype", DataType.DT_FLOAT), var);
                outer.opBuilder("SaveV2", "save_all", outer.baseScope()).addInput(file).addInput(names).addInput(slices)
                        .addInputList(new Output<?>[] {read}).build();
                Output<?> restored = outer.opBuilder("RestoreV2", "restore", outer.baseScope()).addInput(file).addInput(names).addInput(slices)
                        .setAttr("dtypes", new DataType[] {DataType.DT_FLOAT}).build().output(0);
                outer.opBuilder("AssignVariableOp", "restore_all", outer.baseScope()).addInput(var).addInput(restored)
                        .setAttr("dtype", DataType.DT_FLOAT).build();
                var y = f.call(outer.baseScope(), java.util.Map.of("x", in, "w", var)).get("y");
                outer.opBuilder("Identity", "serving_output", outer.baseScope()).addInput(y.asOutput()).build();
                try (Session s = new Session(outer)) {
                    s.runner().addTarget("conv_filter/assign").run();
                    SavedModelBundle.exporter(saved.toString()).withSession(s).withSignature(Signature.builder().key(Signature.DEFAULT_KEY)
                            .input("x", in).output("y", outer.output("serving_output")).build()).export();
                    try (var prefix = org.tensorflow.types.TString.scalarOf(saved.resolve("variables/variables").toString())) {
                        s.runner().feed("saver_filename", prefix).addTarget("save_all").run();
                    }
                }
                Path pb = saved.resolve("saved_model.pb");
                var model = org.tensorflow.proto.SavedModel.parseFrom(Files.readAllBytes(pb)).toBuilder();
                model.getMetaGraphsBuilder(0).setSaverDef(org.tensorflow.proto.SaverDef.newBuilder().setFilenameTensorName("saver_filename:0")
                        .setSaveTensorName("saver_filename:0").setRestoreOpName("restore_all"));
                Files.write(pb, model.build().toByteArray());
            }
        }
        try (Model m = TF.open(saved)) {
            GraphDef g = ((TfGraphModel) m).graphDef();
            assertFalse(g.getNodeList().stream().anyMatch(n -> n.getOp().endsWith("PartitionedCall") || n.getOp().equals("ReadVariableOp")),
                    "calls inlined, variable reads frozen to constants");
            String act = m.layers(H, H).stream().filter(l -> l.opType().equals("Relu")).map(LayerInfo::name).findFirst().orElseThrow();
            assertSameAsDirect(m, act);
        }
    }

    static Output<?> strings(TfOps tf, String value) {
        try (var t = org.tensorflow.types.TString.vectorOf(value)) {
            return tf.graph.opBuilder("Const", tf.uniqueName("str"), tf.graph.baseScope()).setAttr("value", t).setAttr("dtype", DataType.DT_STRING)
                    .build().output(0);
        }
    }

    /** A frozen graph input -> Conv2D -> {@code op} -> Relu "act", where op is IdentityN or Identity (or anything one-input). */
    static Path wrappedActivation(Path dir, String op) throws Exception {
        Path pb = dir.resolve(op + ".pb");
        try (Graph g = new Graph()) {
            TfOps tf = new TfOps(g);
            Output<?> x = tf.placeholder("input", DataType.DT_FLOAT, -1, H, H, 3);
            Output<?> conv = tf.op("Conv2D", "conv", b -> b.setAttr("strides", new long[] {1, 1, 1, 1}).setAttr("padding", "SAME"), x,
                    tf.floats("filter", new long[] {3, 3, 3, 5}, random(135, 3)));
            var b = g.opBuilder(op, "wrap", g.baseScope());
            if (op.equals("IdentityN")) {
                b.addInputList(new Output<?>[] {conv, x}).setAttr("T", new DataType[] {DataType.DT_FLOAT, DataType.DT_FLOAT});
            } else {
                b.addInput(conv);
            }
            g.opBuilder("Relu", "act", g.baseScope()).addInput(b.build().output(0)).build();
            Files.write(pb, g.toGraphDef().toByteArray());
        }
        return pb;
    }

    @Test
    void identityNHasAPassThroughGradient() throws Exception {
        int[] filters = {0, 2};
        float[] x = random(2 * H * H * 3, 5);
        float[][] grads = new float[2][x.length];
        String[] ops = {"IdentityN", "Identity"};
        for (int i = 0; i < 2; i++) {
            try (Model m = TF.open(wrappedActivation(dir, ops[i])); GradientProvider p = m.gradients("act", H, H)) {
                p.compute(x, filters, new float[2], grads[i]);
            }
        }
        assertTrue(BackendTesting.sum(grads[1]) != 0);
        assertEquals(0, BackendTesting.relativeError(grads[0], grads[1]), 1e-7, "IdentityN's gradient is the identity's");
    }

    @Test
    void anOpWithoutGradientIsNamed() throws Exception {
        try (Model m = TF.open(wrappedActivation(dir, "Round"))) {
            // Reported when the gradient is prepared, before any work.
            FiltervisException e = assertThrows(FiltervisException.class, () -> m.gradients("act", H, H));
            assertTrue(e.getMessage().contains("no gradient for op Round"), e.getMessage());
        }
    }

    @Test
    void notAGraphIsOneClearError() throws Exception {
        Path bad = dir.resolve("bad.pb");
        Files.writeString(bad, "this is not a protobuf \u0000\u0001garbage");
        FiltervisException e = assertThrows(FiltervisException.class, () -> TF.open(bad));
        assertTrue(e.getMessage().contains("not a frozen TensorFlow GraphDef"), e.getMessage());
    }
}
