package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.filtervis.core.Npy;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.Graph;
import org.filtervis.graph.Node;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.ValueInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A seeded fuzz corpus of broken and hostile inputs (the campaign of issue 12, kept): mutated ONNX
 * models on every backend, .npy batches, TF.js model.json files and Keras .h5 files. Whatever the
 * input, filtervis exits 0, 1 or 2; a failure is one line on stderr, never an internal exception
 * text; the named cases get the exact exit code and phrase; nothing is written where it failed.
 * A case that crashed the JVM (as ONNX Runtime did on strides=0) fails the whole run.
 */
class FuzzTest {
    /** Fixed, so CI runs the same corpus; -Dfiltervis.fuzzSeed=N explores another. */
    static final long SEED = Long.getLong("filtervis.fuzzSeed", 20261129L);

    @TempDir
    static Path dir;

    /** One input: how to make it, the command to run on it, and what must come out (code -1: any clean code). */
    record Case(String name, int code, String phrase, List<String> args) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Path write(String name, byte[] bytes) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            return Files.write(p, bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] demo(Consumer<OnnxModel> mutation) {
        OnnxModel m = DemoNetwork.build();
        mutation.accept(m);
        return OnnxFormat.write(m);
    }

    /** The demo with one node's attribute replaced. */
    static byte[] withAttribute(String node, Attribute a) {
        return demo(m -> {
            List<Node> nodes = m.graph.nodes;
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                if (n.name().equals(node)) {
                    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
                    attrs.put(a.name(), a);
                    nodes.set(i, new Node(n.opType(), n.name(), n.domain(), n.inputs(), n.outputs(), attrs));
                }
            }
        });
    }

    static List<String> onnxRun(Path model, String backend) {
        return List.of("visualize", "--backend", backend, "--model", model.toString(), "--layer", "conv2_relu", "--size", "32", "--steps",
                "1", "--filters", "0", "--quiet");
    }

    static Stream<Arguments> onnxCases() {
        List<Case> named = new ArrayList<>();
        Map<String, byte[]> broken = new LinkedHashMap<>();
        Map<String, String> phrase = new LinkedHashMap<>();
        broken.put("conv strides 0", withAttribute("conv2", Attribute.of("strides", new long[] {0, 0})));
        phrase.put("conv strides 0", "has strides [0, 0]");
        broken.put("conv negative pads", withAttribute("conv2", Attribute.of("pads", new long[] {-5, -5, -5, -5})));
        phrase.put("conv negative pads", "has pads [-5, -5, -5, -5]");
        broken.put("conv huge pads", withAttribute("gabor", Attribute.of("pads", new long[] {100000, 100000, 100000, 100000})));
        phrase.put("conv huge pads", "has pads [100000");
        broken.put("conv pads wider than its window", withAttribute("conv2", Attribute.of("pads", new long[] {4000, 4000, 4000, 4000})));
        phrase.put("conv pads wider than its window", "has pads [4000, 4000, 4000, 4000], wider than its window [3, 3]");
        broken.put("conv group 0", withAttribute("conv2", Attribute.of("group", 0L)));
        phrase.put("conv group 0", "has group 0");
        broken.put("conv kernel_shape lies", withAttribute("conv2", Attribute.of("kernel_shape", new long[] {5, 5})));
        phrase.put("conv kernel_shape lies", "has kernel_shape [5, 5] but weights of shape [24, 12, 3, 3]");
        broken.put("maxpool strides 0", withAttribute("pool1", Attribute.of("strides", new long[] {0, 0})));
        phrase.put("maxpool strides 0", "MaxPool node 'pool1' has strides [0, 0]");
        broken.put("opset 99", demo(m -> m.opsets.put("", 99L)));
        phrase.put("opset 99", "operator set 99");
        broken.put("input dim -3", demo(m -> m.graph.inputs.set(0, new ValueInfo("image", m.graph.inputs.get(0).type(),
                List.of("N", 3L, -3L, "W")))));
        phrase.put("input dim -3", "input 'image' has dimension -3");
        broken.put("cycle", demo(m -> {
            Graph g = m.graph;
            Node first = g.nodes.get(0);
            List<String> inputs = new ArrayList<>(first.inputs());
            inputs.set(0, "conv3_relu");
            g.nodes.set(0, new Node(first.opType(), first.name(), "", inputs, first.outputs(), first.attributes()));
        }));
        phrase.put("cycle", "reads 'conv3_relu'");
        broken.put("dangling input", demo(m -> {
            Node n = m.graph.nodes.get(1);
            m.graph.nodes.set(1, new Node(n.opType(), n.name(), "", List.of("nowhere"), n.outputs(), n.attributes()));
        }));
        phrase.put("dangling input", "reads 'nowhere'");
        broken.put("duplicate outputs", demo(m -> {
            Node n = m.graph.nodes.get(2);
            m.graph.nodes.set(2, new Node(n.opType(), n.name(), "", n.inputs(), List.of(DemoNetwork.FIRST_LAYER), n.attributes()));
        }));
        phrase.put("duplicate outputs", "tensor 'gabor_relu' is defined twice");
        broken.put("output never computed", demo(m -> m.graph.outputs.add(ValueInfo.untyped("ghost"))));
        phrase.put("output never computed", "graph output 'ghost'");
        // Two initializers renamed to one name after writing: the file holds the same initializer twice.
        byte[] twice = demo(m -> {
            var w = m.graph.initializers.remove("logits.bias");
            m.graph.initializers.put("gabor.bixs", w);
        });
        replaceAll(twice, "gabor.bixs", "gabor.bias");
        broken.put("duplicate initializer", twice);
        phrase.put("duplicate initializer", "initializer 'gabor.bias' is defined twice");
        byte[] model = OnnxFormat.write(DemoNetwork.build());
        broken.put("truncated", Arrays.copyOf(model, model.length / 3));
        phrase.put("truncated", "is not a readable ONNX model");
        broken.put("not a model", "my notes\n".repeat(100).getBytes(StandardCharsets.UTF_8));
        phrase.put("not a model", "is not a readable ONNX model");
        for (String backend : new String[] {"onnx", "tf", "djl"}) {
            broken.forEach((name, bytes) -> {
                Path p = write("onnx/" + name.replace(' ', '_') + ".onnx", bytes);
                named.add(new Case(name + " --backend " + backend, 1, phrase.get(name), onnxRun(p, backend)));
            });
        }
        // Random damage: bytes flipped, or the file cut, anywhere.
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 40; i++) {
            byte[] b = model.clone();
            int flips = 1 + r.nextInt(8);
            for (int k = 0; k < flips; k++) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            }
            if (i % 4 == 3) {
                b = Arrays.copyOf(b, r.nextInt(b.length));
            }
            Path p = write("onnx/random-" + i + ".onnx", b);
            named.add(new Case("random onnx " + i + " --backend " + List.of("onnx", "tf", "djl").get(i % 3), -1, null,
                    onnxRun(p, List.of("onnx", "tf", "djl").get(i % 3))));
        }
        return named.stream().map(Arguments::of);
    }

    static void replaceAll(byte[] b, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + f.length <= b.length; i++) {
            if (Arrays.equals(b, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, b, i, t.length);
            }
        }
    }

    static byte[] npy(String header, int floats) {
        String h = header + " ".repeat(Math.max(0, 64 - (10 + header.length() + 1) % 64)) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + floats * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length()).put(h.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    static List<String> gradientRun(Path x) {
        return List.of("gradient", "--layer", "gabor_relu", "--filters", "1,2", "--input", x.toString(), "--output",
                dir.resolve("g-out/g.npy").toString());
    }

    static Stream<Arguments> npyCases() throws IOException {
        List<Case> cases = new ArrayList<>();
        String shape = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 16, 16), }";
        byte[] header = npy(shape, 0);
        byte[] huge = header.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).put(6, (byte) 2).putInt(8, 0xFFFFFFF0);
        cases.add(new Case("npy header length 0xFFFFFFF0", 2, "truncated .npy", gradientRun(write("npy/huge-header.npy", huge))));
        cases.add(new Case("npy negative dim", 2, "declares shape [2, -3, 16, 16]",
                gradientRun(write("npy/neg.npy", npy(shape.replace("(2, 3,", "(2, -3,"), 2 * 3 * 256)))));
        cases.add(new Case("npy huge dims", 2, "declares shape [99999999999, 3, 16, 16]",
                gradientRun(write("npy/huge.npy", npy(shape.replace("(2, 3,", "(99999999999, 3,"), 2 * 3 * 256)))));
        cases.add(new Case("npy unreadable shape", 2, "unreadable .npy shape",
                gradientRun(write("npy/letters.npy", npy(shape.replace("(2, 3,", "(a, b,"), 2 * 3 * 256)))));
        cases.add(new Case("npy truncated data", 2, "the file is corrupt or truncated", gradientRun(write("npy/short.npy", npy(shape, 100)))));
        Path valid = dir.resolve("npy/valid.npy");
        float[] x = new float[2 * 3 * 256];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.3) * 0.3f;
        }
        Npy.write(valid, new long[] {2, 3, 16, 16}, x);
        float[] nan = x.clone();
        nan[17] = Float.NaN;
        Npy.write(dir.resolve("npy/nan.npy"), new long[] {2, 3, 16, 16}, nan);
        cases.add(new Case("npy holding NaN", 2, "holds NaN at flat index 17", gradientRun(dir.resolve("npy/nan.npy"))));
        byte[] bytes = Files.readAllBytes(valid);
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 20; i++) {
            byte[] b = bytes.clone();
            // Damage the header and magic mostly: that is where parsing happens.
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                b[r.nextInt(i % 2 == 0 ? 128 : b.length)] ^= (byte) (1 << r.nextInt(8));
            }
            cases.add(new Case("random npy " + i, -1, null, gradientRun(write("npy/random-" + i + ".npy", b))));
        }
        return cases.stream().map(Arguments::of);
    }

    static List<String> kerasRun(Path model) {
        return List.of("visualize", "--model", model.toString(), "--layer", "conv_b", "--size", "20", "--steps", "1", "--filters", "0",
                "--quiet");
    }

    static Stream<Arguments> kerasCases() throws IOException {
        Path source = Path.of("src/test/resources/keras").toAbsolutePath();
        String json = Files.readString(source.resolve("tfjs/model.json"));
        byte[] shard = Files.readAllBytes(source.resolve("tfjs/group1-shard1of1.bin"));
        String shardName = "group1-shard1of1.bin";
        List<Case> cases = new ArrayList<>();
        Path outside = write("keras/outside/secret.bin", shard);
        Map<String, String[]> named = new LinkedHashMap<>();
        named.put("shard path ../", new String[] {json.replace(shardName, "../../outside/secret.bin"), "points outside the model's folder"});
        named.put("shard path absolute", new String[] {json.replace(shardName, outside.toString()), "points outside the model's folder"});
        named.put("shard path /etc/passwd", new String[] {json.replace(shardName, "../../../../../../../../../../etc/passwd"),
            "points outside the model's folder"});
        named.put("kernel_size lies", new String[] {json.replaceFirst("\"kernel_size\": \\[3, 3\\]", "\"kernel_size\": [5, 5]"),
            "kernel_size [5, 5] but a kernel of shape"});
        named.put("filters lies", new String[] {json.replaceFirst("\"filters\": 8", "\"filters\": 9"), "filters 9 but a kernel of shape"});
        named.put("dtype float16", new String[] {json.replaceFirst("\"dtype\": \"float32\", \"name\": \"image\"",
            "\"dtype\": \"float16\", \"name\": \"image\""), "has dtype float16"});
        named.put("weight shape huge", new String[] {json.replaceFirst("\"shape\": \\[3, 3, 3, 8\\]", "\"shape\": [3000000, 3000000, 3, 8]"),
            "the weight shards end inside weight"});
        named.put("weight shape negative", new String[] {json.replaceFirst("\"shape\": \\[3, 3, 3, 8\\]", "\"shape\": [-3, 3, 3, 8]"),
            "with a negative size"});
        int i = 0;
        for (var e : named.entrySet()) {
            Path m = dir.resolve("keras/a/b/m" + i++);
            Files.createDirectories(m);
            Files.writeString(m.resolve("model.json"), e.getValue()[0]);
            Files.write(m.resolve(shardName), shard);
            cases.add(new Case(e.getKey(), 1, e.getValue()[1], kerasRun(m)));
        }
        SplittableRandom r = new SplittableRandom(SEED + 2);
        String symbols = "{}[]\",:0123456789-.eE aZ";
        for (int k = 0; k < 25; k++) {
            char[] c = json.toCharArray();
            for (int j = 0; j < 1 + r.nextInt(3); j++) {
                c[r.nextInt(c.length)] = symbols.charAt(r.nextInt(symbols.length()));
            }
            Path m = dir.resolve("keras/random-" + k);
            Files.createDirectories(m);
            Files.writeString(m.resolve("model.json"), new String(c));
            Files.write(m.resolve(shardName), shard);
            cases.add(new Case("random model.json " + k, -1, null, kerasRun(m)));
        }
        byte[] h5 = Files.readAllBytes(source.resolve("tiny.h5"));
        for (int k = 0; k < 25; k++) {
            byte[] b = h5.clone();
            for (int j = 0; j < 1 + r.nextInt(6); j++) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            }
            if (k % 5 == 4) {
                b = Arrays.copyOf(b, r.nextInt(b.length));
            }
            cases.add(new Case("random h5 " + k, -1, null, kerasRun(write("h5/random-" + k + ".h5", b))));
        }
        return cases.stream().map(Arguments::of);
    }

    static void check(Case c) {
        Path out = dir.resolve("out-" + c.name().replaceAll("[^A-Za-z0-9]", "_"));
        List<String> args = new ArrayList<>(c.args());
        if (args.get(0).equals("visualize")) {
            args.addAll(List.of("--out", out.toString()));
        }
        Cli r = Cli.run(args.toArray(String[]::new));
        if (c.code() >= 0) {
            assertEquals(c.code(), r.code(), c.name() + ": " + r.err());
        } else {
            assertTrue(r.code() >= 0 && r.code() <= 2, c.name() + ": exit " + r.code());
        }
        if (r.code() != 0 && !r.oneLineError()) {
            // Run it again with --verbose, so the report says where the internal error came from.
            List<String> verbose = new ArrayList<>(args);
            verbose.add("--verbose");
            String trace = Cli.run(verbose.toArray(String[]::new)).err();
            throw new AssertionError(c.name() + ": one line, no stack trace: " + r.err() + "\n" + trace.substring(0, Math.min(3000, trace.length())));
        }
        if (r.code() != 0) {
            assertFalse(r.err().contains("unexpected error"), c.name() + ": an internal error, not a message: " + r.err());
            assertFalse(Files.exists(out.resolve("grid.png")), c.name() + ": nothing written");
        }
        if (c.phrase() != null) {
            assertTrue(r.err().contains(c.phrase()), c.name() + ": '" + c.phrase() + "' in: " + r.err());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("onnxCases")
    void brokenOnnxModels(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("npyCases")
    void brokenNpyBatches(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kerasCases")
    void brokenKerasModels(Case c) {
        check(c);
    }
}
