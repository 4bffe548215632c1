package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.graph.keras.JsLiteral;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code filtervis examples} against a brute-force PyTorch float64 computation of every activation
 * (tools/examples_reference.py, run by .ci/run; -Dfiltervis.examplesReference=DIR): each channel's
 * top 5 and bottom 3 of 30 photos at resnet18's layer1 and layer2, by their maps' maximum and mean,
 * with positions, on onnx, tf and djl; the text file and the damaged photo skipped.
 */
class ExamplesReferenceTest {
    @TempDir
    Path dir;

    record Row(String image, double value, int y, int x) {}

    @ParameterizedTest(name = "--backend {0} --reduce {1}")
    @CsvSource({"onnx, max", "tf, max", "djl, max", "onnx, mean", "tf, mean", "djl, mean"})
    @SuppressWarnings("unchecked")
    void topAndBottomEqualBruteForce(String backend, String reduce) throws IOException {
        String refDir = System.getProperty("filtervis.examplesReference", "");
        assumeTrue(!refDir.isEmpty(), "set -Dfiltervis.examplesReference=DIR (as .ci/run does) to compare with PyTorch");
        Path ref = Path.of(refDir);
        List<String> layers = Files.readAllLines(ref.resolve("layers.txt")).stream().filter(s -> !s.isBlank()).toList();
        Path out = dir.resolve("ex");
        Cli r = Cli.run("examples", "--backend", backend, "--model", ref.resolve("resnet18.onnx").toString(), "--layers", String.join(",", layers),
                "--images", ref.resolve("photos").toString(), "--top", "5", "--bottom", "3", "--reduce", reduce, "--preprocess", "torchvision",
                "--batch", "7", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> json = (Map<String, Object>) JsLiteral.parse(Files.readString(out.resolve("examples.json")));
        assertEquals(30, ((Number) json.get("images")).intValue());
        List<Map<String, Object>> skipped = (List<Map<String, Object>>) json.get("skipped");
        assertEquals(List.of("b/damaged.png", "notes.txt"), skipped.stream().map(s -> s.get("image")).toList(), "skipped, in path order");
        Map<String, List<Row>> want = new HashMap<>();
        for (String line : Files.readAllLines(ref.resolve("reference.tsv"))) {
            String[] f = line.split("\t");
            if (f.length == 9 && f[0].equals(reduce)) {
                want.computeIfAbsent(f[1] + " " + f[2] + " " + f[3], k -> new ArrayList<>())
                        .add(new Row(f[5], Double.parseDouble(f[6]), Integer.parseInt(f[7]), Integer.parseInt(f[8])));
            }
        }
        Map<String, Object> got = (Map<String, Object>) json.get("layers");
        int compared = 0;
        int nearTies = 0;
        for (String layer : layers) {
            Map<String, Object> l = (Map<String, Object>) got.get(layer);
            assertEquals(reduce, l.get("reduce"));
            for (Object o : (List<Object>) l.get("channels")) {
                Map<String, Object> ch = (Map<String, Object>) o;
                int channel = ((Number) ch.get("channel")).intValue();
                for (String end : List.of("top", "bottom")) {
                    List<Row> w = want.get(layer + " " + channel + " " + end);
                    List<Map<String, Object>> g = (List<Map<String, Object>>) ch.get(end);
                    assertEquals(w.size(), g.size(), layer + " channel " + channel + " " + end);
                    for (int i = 0; i < w.size(); i++) {
                        Row e = w.get(i);
                        Map<String, Object> a = g.get(i);
                        double v = ((Number) a.get("value")).doubleValue();
                        String where = layer + " channel " + channel + " " + end + " rank " + i;
                        assertEquals(e.value(), v, 1e-4 * Math.max(1, Math.abs(e.value())), where + ": value");
                        // float32 against float64: two photos whose values lie within float32 rounding may swap; nothing else may differ.
                        boolean nearTie = w.stream().anyMatch(o2 -> o2 != e && Math.abs(o2.value() - e.value()) <= 1e-4 * Math.max(1, Math.abs(e.value())));
                        if (nearTie) {
                            nearTies++;
                        } else {
                            assertEquals(e.image(), a.get("image"), where + ": photo");
                            assertEquals(e.y(), ((Number) a.get("y")).intValue(), where + ": row of the maximum");
                            assertEquals(e.x(), ((Number) a.get("x")).intValue(), where + ": column of the maximum");
                            compared++;
                        }
                    }
                }
            }
        }
        System.out.printf("examples --backend %s --reduce %s: %d entries equal the brute force exactly, %d near ties checked by value%n", backend,
                reduce, compared, nearTies);
        assertTrue(compared > 1000, "the comparison covered " + compared + " entries");
    }
}
