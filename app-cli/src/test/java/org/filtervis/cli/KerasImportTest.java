package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.filtervis.core.io.Npy;
import org.filtervis.graph.keras.JsLiteral;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pretrained Keras models of nsfwjs@4.3.0, opened as the package ships them (wrapped TF.js
 * files), through every backend, against TF.js itself (tools/tfjs_reference.cjs, run by .ci/run):
 * objectives to a relative error of 1e-4 at every reference layer, input gradients to a relative L2
 * error of 1e-3 at the layers the reference differentiates (TF.js's AvgPool gradient fixed there).
 * Needs -Dfiltervis.nsfwjs=DIR (the package's dist/models) and -Dfiltervis.tfjsReference=DIR.
 */
class KerasImportTest {
    @TempDir
    Path dir;

    record Entry(String model, String layer, List<Integer> channels, List<Double> objectives, String input, String gradient) {
        @Override
        public String toString() {
            return model + " " + layer;
        }
    }

    @SuppressWarnings("unchecked")
    static Stream<Arguments> cases() throws IOException {
        String ref = System.getProperty("filtervis.tfjsReference", "");
        if (ref.isEmpty() || System.getProperty("filtervis.nsfwjs", "").isEmpty()) {
            return Stream.of(Arguments.of(null, "onnx"));
        }
        Map<String, Object> root = (Map<String, Object>) JsLiteral.parse(Files.readString(Path.of(ref, "reference.json")));
        List<Arguments> out = new ArrayList<>();
        for (Object o : (List<Object>) root.get("entries")) {
            Map<String, Object> e = (Map<String, Object>) o;
            Entry entry = new Entry((String) e.get("model"), (String) e.get("layer"),
                    ((List<Object>) e.get("channels")).stream().map(c -> ((Number) c).intValue()).toList(),
                    ((List<Object>) e.get("objectives")).stream().map(c -> ((Number) c).doubleValue()).toList(), (String) e.get("input"),
                    (String) e.get("gradient"));
            for (String backend : new String[] {"onnx", "tf", "djl"}) {
                out.add(Arguments.of(entry, backend));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} --backend {1}")
    @MethodSource("cases")
    void activationsAndGradientsEqualTfjs(Entry e, String backend) throws IOException {
        assumeTrue(e != null, "set -Dfiltervis.nsfwjs=DIR and -Dfiltervis.tfjsReference=DIR (as .ci/run does) to compare with TF.js");
        Path ref = Path.of(System.getProperty("filtervis.tfjsReference"));
        Path model = Path.of(System.getProperty("filtervis.nsfwjs"), e.model());
        Path out = dir.resolve("g.npy");
        String filters = e.channels().get(0) + "," + e.channels().get(1);
        Cli r = Cli.run("gradient", "--backend", backend, "--model", model.toString(), "--layer", e.layer(), "--filters", filters,
                "--input", ref.resolve(e.input()).toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        for (int i = 0; i < 2; i++) {
            assertTrue(lines[i].startsWith("filter " + e.channels().get(i) + " objective "), r.out());
            double got = Double.parseDouble(lines[i].substring(lines[i].lastIndexOf(' ') + 1));
            double want = e.objectives().get(i);
            assertTrue(want > 0, "the reference channel fires");
            assertTrue(Math.abs(got - want) <= 1e-4 * Math.abs(want), e + " image " + i + ": objective " + got + " vs TF.js " + want);
        }
        if (e.gradient() == null) {
            return;
        }
        float[] want = Npy.read(ref.resolve(e.gradient())).data();
        float[] got = Npy.read(out).data();
        double err = Cli.relativeL2(got, want);
        System.out.printf("%s --backend %s: gradient relative L2 error %.2e%n", e, backend, err);
        assertTrue(err <= 1e-3, e + " --backend " + backend + ": gradient relative L2 error " + err);
    }
}
