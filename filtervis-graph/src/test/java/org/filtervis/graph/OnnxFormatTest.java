package org.filtervis.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.filtervis.api.FiltervisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ONNX reader and writer: what is written reads back the same, to the byte, and damage is one clear error. */
class OnnxFormatTest {
    @Test
    void theDemoRoundTripsToTheByte() {
        OnnxModel m = DemoNetwork.build();
        byte[] once = OnnxFormat.write(m);
        OnnxModel back = OnnxFormat.read(once);
        assertArrayEquals(once, OnnxFormat.write(back), "write(read(write(m))) == write(m)");
        assertEquals(m.graph.nodes.size(), back.graph.nodes.size());
        assertEquals(m.graph.initializers.keySet(), back.graph.initializers.keySet());
        for (String k : m.graph.initializers.keySet()) {
            assertArrayEquals(m.graph.initializers.get(k).raw(), back.graph.initializers.get(k).raw(), k);
            assertArrayEquals(m.graph.initializers.get(k).shape(), back.graph.initializers.get(k).shape(), k);
        }
        for (int i = 0; i < m.graph.nodes.size(); i++) {
            Node a = m.graph.nodes.get(i);
            Node b = back.graph.nodes.get(i);
            assertEquals(a.opType() + a.inputs() + a.outputs(), b.opType() + b.inputs() + b.outputs());
            assertEquals(a.attributes().keySet(), b.attributes().keySet(), a.name());
        }
        assertEquals(m.opset(), back.opset());
    }

    @Test
    void everyKindOfAttributeAndTensorRoundTrips() {
        GraphBuilder b = new GraphBuilder("kinds", 17);
        String x = b.input("x", "N", 3L);
        String w = b.weight("w", TinyRuntime.doubles(new long[] {3, 2}, 1.5, -2.25, 1e-300, 7, 0, -0.0));
        String l = b.weight("l", Tensor.ofLongs(new long[] {2}, Long.MIN_VALUE, 42));
        b.node("Gemm", "g", List.of(x, w), Attribute.of("alpha", 0.5f), Attribute.of("transB", 0L));
        b.node("Reshape", "r", List.of("g", l));
        b.node("Transpose", "t", List.of("r"), Attribute.of("perm", new long[] {1, 0}));
        b.node("Cast", "c", List.of("t"), Attribute.of("to", (long) DataType.FLOAT.code));
        OnnxModel m = b.output("c");
        byte[] once = OnnxFormat.write(m);
        OnnxModel back = OnnxFormat.read(once);
        assertArrayEquals(once, OnnxFormat.write(back));
        assertArrayEquals(new double[] {1.5, -2.25, 1e-300, 7, 0, -0.0}, back.graph.initializers.get("w").doubles());
        assertArrayEquals(new long[] {Long.MIN_VALUE, 42}, back.graph.initializers.get("l").longs());
        assertEquals(0.5f, back.graph.nodeNamed("g").attr("alpha", 1f));
        assertArrayEquals(new long[] {1, 0}, back.graph.nodeNamed("t").attr("perm", (long[]) null));
        assertEquals(List.of("N", 3L), back.graph.inputs.get(0).dims());
    }

    @Test
    void damagedFilesAreOneClearError(@TempDir Path dir) throws java.io.IOException {
        byte[] model = OnnxFormat.write(DemoNetwork.build());
        for (int cut : new int[] {1, model.length / 3, model.length - 1}) {
            Path f = Files.write(dir.resolve("cut" + cut + ".onnx"), Arrays.copyOf(model, cut));
            FiltervisException e = assertThrows(FiltervisException.class, () -> OnnxFormat.read(f));
            assertTrue(e.getMessage().contains("is not a readable ONNX model"), e.getMessage());
            assertTrue(!e.usage(), "a file's content: exit 1");
        }
    }
}
