package org.filtervis.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.filtervis.api.Differentiator;
import org.filtervis.api.Model;
import org.filtervis.api.ReceptiveField;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.Tensor;
import org.filtervis.testkit.BackendTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Receptive fields from the graph: the textbook recurrence on a small stack, and no input gradient outside the field on the demo network. */
class ReceptiveFieldTest {
    @TempDir
    Path dir;

    @Test
    void theRecurrenceOnConvPoolConv() {
        GraphBuilder b = new GraphBuilder("rf", 17);
        String x = b.input("x", 1L, 3L, 16L, 16L);
        String c1 = b.node("Conv", "c1", List.of(x, b.weight("w1", Tensor.ofFloats(new long[] {4, 3, 3, 3}, new float[108]))),
                Attribute.of("pads", new long[] {1, 1, 1, 1}));
        String p = b.node("MaxPool", "p", List.of(b.node("Relu", "r", List.of(c1))), Attribute.of("kernel_shape", new long[] {2, 2}),
                Attribute.of("strides", new long[] {2, 2}));
        String c2 = b.node("Conv", "c2", List.of(p, b.weight("w2", Tensor.ofFloats(new long[] {4, 4, 3, 3}, new float[144]))),
                Attribute.of("pads", new long[] {1, 1, 1, 1}), Attribute.of("strides", new long[] {2, 2}), Attribute.of("dilations", new long[] {2, 2}));
        try (Model model = BackendTesting.open(OnnxTestBackend.INSTANCE, b.output(c2), dir)) {
            // conv k3 p1: (1, -1, 1); pool k2 s2: (2, -1, 2); conv k3 s2 p1 d2: (4, -1 - 2, 2 + 2 * (2 * 2 - 1)) = (4, -3, 8).
            assertEquals(new ReceptiveField(1, 1, -1, 1, -1, 1), model.receptiveField(c1).orElseThrow());
            assertEquals(new ReceptiveField(2, 2, -1, 2, -1, 2), model.receptiveField(p).orElseThrow());
            assertEquals(new ReceptiveField(4, 4, -3, 8, -3, 8), model.receptiveField(c2).orElseThrow());
        }
    }

    /** A unit's input gradient lives inside its field, and reaches close to its edges (the field is not too large either). */
    @Test
    void theDemoNetworksGradientsStayInsideTheirFields() {
        try (Model model = BackendTesting.open(OnnxTestBackend.INSTANCE, DemoNetwork.build(), dir)) {
            int size = 64;
            for (String layer : List.of("gabor_relu", "conv2_relu", "conv3_relu")) {
                ReceptiveField rf = model.receptiveField(layer).orElseThrow();
                try (Differentiator d = model.differentiator(List.of(layer), size, size).orElseThrow()) {
                    long[] s = d.shape(layer);
                    int h = (int) s[1];
                    int w = (int) s[2];
                    float[] img = new float[3 * size * size];
                    SplittableRandom r = new SplittableRandom(5);
                    for (int i = 0; i < img.length; i++) {
                        img[i] = (float) r.nextDouble();
                    }
                    int y = h / 2;
                    int x = w / 3;
                    float[] grad = new float[img.length];
                    int[] box = rf.box(y, x, size, size);
                    int reach = 0;
                    for (int c = 0; c < s[0]; c++) {
                        float[] seed = new float[(int) (s[0] * h * w)];
                        seed[(c * h + y) * w + x] = 1;
                        d.inputGradient(img, 1, Map.of(layer, seed), grad);
                        for (int ch = 0; ch < 3; ch++) {
                            for (int yy = 0; yy < size; yy++) {
                                for (int xx = 0; xx < size; xx++) {
                                    if (grad[(ch * size + yy) * size + xx] != 0) {
                                        boolean inside = yy >= box[0] && yy <= box[2] && xx >= box[1] && xx <= box[3];
                                        assertTrue(inside, layer + " channel " + c + ": gradient at (" + yy + ", " + xx + ") outside " + rf);
                                        reach = Math.max(reach, Math.max(Math.abs(yy - (box[0] + box[2]) / 2), Math.abs(xx - (box[1] + box[3]) / 2)));
                                    }
                                }
                            }
                        }
                    }
                    int half = (box[2] - box[0]) / 2;
                    assertTrue(reach >= half - rf.strideY(), layer + ": the gradients reach " + reach + " of the field's half-side " + half + " (" + rf + ")");
                }
            }
        }
    }
}
