package org.filtervis.graph.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.GraphPrep;
import org.filtervis.graph.Node;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading TF.js layers models in both layouts and their quantized weights, and the graph the
 * importer makes of them. (That the graph computes what TF.js computes is app-cli's KerasImportTest,
 * on the pretrained nsfwjs models.)
 */
class KerasImporterTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void readsMinifiedJavaScriptLiterals() {
        Map<String, Object> m = (Map<String, Object>) JsLiteral.parse("{a:!0,b:!1,'c':.5,d:-.25,e:1e-3,f:[1,2,],g:\"x\\\"y\\u0041\",h:null,}");
        assertEquals(true, m.get("a"));
        assertEquals(false, m.get("b"));
        assertEquals(0.5, m.get("c"));
        assertEquals(-0.25, m.get("d"));
        assertEquals(1e-3, m.get("e"));
        assertEquals(List.of(1.0, 2.0), m.get("f"));
        assertEquals("x\"yA", m.get("g"));
        assertTrue(m.containsKey("h") && m.get("h") == null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsLiteral.parse("{a:}"));
        assertTrue(e.getMessage().contains("offset"), e.getMessage());
    }

    /** A small functional model: input 6x6x2, Conv2D same + relu, BatchNormalization without scale, ReLU(6), Flatten, Dense softmax. */
    static String topology() {
        return """
            {"modelTopology": {"keras_version": "2.2.4", "model_config": {"class_name": "Model", "config": {"name": "tiny", "layers": [
              {"name": "img", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 6, 6, 2], "name": "img"}, "inbound_nodes": []},
              {"name": "conv", "class_name": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "use_bias": true},
                "inbound_nodes": [[["img", 0, 0, {}]]]},
              {"name": "bn", "class_name": "BatchNormalization", "config": {"axis": -1, "epsilon": 0.001, "center": true, "scale": false},
                "inbound_nodes": [[["conv", 0, 0, {}]]]},
              {"name": "clip", "class_name": "ReLU", "config": {"max_value": 6}, "inbound_nodes": [[["bn", 0, 0, {}]]]},
              {"name": "flat", "class_name": "Flatten", "config": {}, "inbound_nodes": [[["clip", 0, 0, {}]]]},
              {"name": "fc", "class_name": "Dense", "config": {"units": 4, "activation": "softmax", "use_bias": true},
                "inbound_nodes": [[["flat", 0, 0, {}]]]}],
              "input_layers": [["img", 0, 0]], "output_layers": [["fc", 0, 0]]}}},
             "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
              {"name": "conv/kernel", "shape": [3, 3, 2, 3], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.01}},
              {"name": "conv/bias", "shape": [3], "dtype": "float32"},
              {"name": "bn/beta", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint16", "min": 0.5, "scale": 0.001}},
              {"name": "bn/moving_mean", "shape": [3], "dtype": "float32", "quantization": {"dtype": "float16"}},
              {"name": "bn/moving_variance", "shape": [3], "dtype": "float32"},
              {"name": "fc/kernel", "shape": [108, 4], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -0.5, "scale": 0.004}},
              {"name": "fc/bias", "shape": [4], "dtype": "float32"}]}]}
            """;
    }

    static byte[] weights() {
        ByteBuffer b = ByteBuffer.allocate(54 + 12 + 6 + 6 + 12 + 432 + 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 54; i++) {
            b.put((byte) (i * 4));
        }
        b.putFloat(0.1f).putFloat(-0.2f).putFloat(0.3f);
        b.putShort((short) 0).putShort((short) 1000).putShort((short) 65535);
        b.putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x3800);
        b.putFloat(1f).putFloat(2f).putFloat(0.5f);
        for (int i = 0; i < 432; i++) {
            b.put((byte) i);
        }
        b.putFloat(0f).putFloat(0f).putFloat(0f).putFloat(1f);
        return b.array();
    }

    @Test
    void standardAndWrappedLayoutsReadTheSameDequantizedWeights() throws Exception {
        Path standard = Files.createDirectories(dir.resolve("standard"));
        Files.writeString(standard.resolve("model.json"), topology());
        Files.write(standard.resolve("group1-shard1of1.bin"), weights());
        Path wrapped = Files.createDirectories(dir.resolve("wrapped"));
        // nsfwjs's form: a UMD wrapper around a JavaScript object, and a base64 string per shard.
        String literal = topology().replaceAll("\"(\\w+)\":", "$1:").replace("true", "!0").replace("false", "!1").replace("0.5", ".5");
        Files.writeString(wrapped.resolve("model.min.js"), "!function(a){module.exports=a()}(function(){return {1:[function(a,n,i){n.exports="
                + literal + "},{}]}});");
        Files.writeString(wrapped.resolve("group1-shard1of1.bin.min.js"), "!function(d){module.exports=d()}(function(){return {1:[function(a,n,i){n.exports=\""
                + Base64.getEncoder().encodeToString(weights()) + "\"},{}]}});", StandardCharsets.UTF_8);
        for (Path p : new Path[] {standard, standard.resolve("model.json"), wrapped}) {
            assertTrue(TfjsModel.isTfjs(p), p.toString());
            TfjsModel m = TfjsModel.read(p);
            float[] kernel = m.weights.get("conv/kernel").values();
            assertEquals(-1.0f, kernel[0], 1e-7);
            assertEquals(-1.0f + 0.01f * 212, kernel[53], 1e-6);
            assertArrayEquals(new float[] {0.5f, 1.5f, 0.5f + 0.001f * 65535}, m.weights.get("bn/beta").values(), 1e-5f);
            assertArrayEquals(new float[] {1f, -2f, 0.5f}, m.weights.get("bn/moving_mean").values());
            assertArrayEquals(new float[] {0.1f, -0.2f, 0.3f}, m.weights.get("conv/bias").values());
            assertArrayEquals(new long[] {108, 4}, m.weights.get("fc/kernel").shape());
        }
    }

    @Test
    void importedGraphKeepsKerasNamesAndNhwcInput() throws Exception {
        Path standard = Files.createDirectories(dir.resolve("m"));
        Files.writeString(standard.resolve("model.json"), topology());
        Files.write(standard.resolve("group1-shard1of1.bin"), weights());
        OnnxModel m = KerasImporter.toOnnx(TfjsModel.read(standard));
        OnnxModel back = OnnxFormat.read(OnnxFormat.write(m));
        var spec = GraphPrep.inputSpec(back.graph, GraphPrep.imageInput(back.graph));
        assertEquals(org.filtervis.api.InputSpec.Layout.NHWC, spec.layout());
        assertEquals(6, spec.height());
        assertEquals(2, spec.channels());
        Map<String, Node> producers = back.graph.producers();
        for (String layer : List.of("conv", "bn", "clip", "flat", "fc")) {
            assertTrue(producers.containsKey(layer), "a tensor named after layer " + layer);
        }
        assertEquals("Relu", producers.get("conv").opType(), "Conv2D with activation relu ends in the Relu");
        assertEquals("Clip", producers.get("clip").opType());
        assertEquals("Softmax", producers.get("fc").opType());
        assertEquals("fc", back.graph.outputs.get(0).name());
        // Keras flattens NHWC: a Transpose to NHWC precedes the Flatten.
        assertEquals("Transpose", producers.get(producers.get("flat").input(0)).opType());
        // Conv weights [kh, kw, in, out] -> [out, in, kh, kw]; BN without scale gets gamma = 1.
        Tensor w = back.graph.initializers.get("conv/W");
        assertArrayEquals(new long[] {3, 2, 3, 3}, w.shape());
        assertEquals(-1.0f + 0.01f * 12, w.floats()[9], 1e-6, "W[0][1][0][0] = kernel[0][0][1][0]: flat index 3, byte value 12");
        assertArrayEquals(new float[] {1f, 1f, 1f}, back.graph.initializers.get("bn/gamma").floats());
    }

    @Test
    void unsupportedLayersAndMissingShardsAreNamed() throws Exception {
        Path m = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(m.resolve("model.json"), topology().replace("\"class_name\": \"Flatten\"", "\"class_name\": \"LSTM\""));
        Files.write(m.resolve("group1-shard1of1.bin"), weights());
        FiltervisException e = assertThrows(FiltervisException.class, () -> KerasImporter.toOnnx(TfjsModel.read(m)));
        assertTrue(e.getMessage().contains("'flat' is a LSTM") && e.getMessage().contains("supported layers"), e.getMessage());
        Files.delete(m.resolve("group1-shard1of1.bin"));
        e = assertThrows(FiltervisException.class, () -> TfjsModel.read(m));
        assertTrue(e.getMessage().contains("weight shard group1-shard1of1.bin is missing"), e.getMessage());
        Files.write(m.resolve("group1-shard1of1.bin"), java.util.Arrays.copyOf(weights(), 100));
        e = assertThrows(FiltervisException.class, () -> TfjsModel.read(m));
        assertTrue(e.getMessage().contains("end inside weight"), e.getMessage());
    }

    /** A model names its weight shards: none may make us read a file outside the model's folder. */
    @Test
    void shardPathsOutsideTheModelsFolderAreRefusedInBothLayouts() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.write(outside.resolve("shard.bin"), weights());
        Path m = Files.createDirectories(dir.resolve("a/b/m"));
        Files.createSymbolicLink(m.resolve("link.bin"), outside.resolve("shard.bin"));
        for (String path : List.of("../../../outside/shard.bin", outside.resolve("shard.bin").toString(), "link.bin",
                "../../../../../../../../../../etc/passwd", "sub/../../m2/x.bin")) {
            Files.writeString(m.resolve("model.json"), topology().replace("group1-shard1of1.bin", path.replace("\\", "/")));
            FiltervisException e = assertThrows(FiltervisException.class, () -> TfjsModel.read(m), path);
            assertTrue(e.getMessage().contains("points outside the model's folder") && !e.usage(), path + ": " + e.getMessage());
        }
        // nsfwjs's wrapped layout: the base64 shard file name is the path plus .min.js.
        Path w = Files.createDirectories(dir.resolve("w"));
        Files.writeString(outside.resolve("shard.bin.min.js"), "n.exports=\"" + Base64.getEncoder().encodeToString(weights()) + "\"");
        String literal = topology().replace("group1-shard1of1.bin", "../outside/shard.bin").replaceAll("\"(\\w+)\":", "$1:");
        Files.writeString(w.resolve("model.min.js"), "module.exports=" + literal + ";");
        FiltervisException e = assertThrows(FiltervisException.class, () -> TfjsModel.read(w));
        assertTrue(e.getMessage().contains("points outside the model's folder"), e.getMessage());
    }

    @Test
    void weightShapesLargerThanTheShardsOrNegativeAreRefusedBeforeAllocating() throws Exception {
        Path m = Files.createDirectories(dir.resolve("huge"));
        Files.write(m.resolve("group1-shard1of1.bin"), weights());
        for (String shape : List.of("[3000000000, 3000000000, 2, 3]", "[-3, 3, 2, 3]", "[9223372036854775807, 2]")) {
            Files.writeString(m.resolve("model.json"), topology().replace("\"shape\": [3, 3, 2, 3]", "\"shape\": " + shape));
            FiltervisException e = assertThrows(FiltervisException.class, () -> TfjsModel.read(m), shape);
            assertTrue(e.getMessage().contains("weight conv/kernel") && (e.getMessage().contains("end inside") || e.getMessage().contains("negative"))
                    && !e.usage(), shape + ": " + e.getMessage());
        }
    }
}
