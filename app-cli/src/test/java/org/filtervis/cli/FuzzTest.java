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
import org.filtervis.core.io.Npy;
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
 * A seeded fuzz corpus of broken and hostile inputs (the campaigns of issues 12 and 24, kept):
 * mutated ONNX models on every backend, .npy batches, TF.js model.json files, Keras .h5 files,
 * photos for explain, objectives, and damaged atlas tiles. A run that succeeds left whole outputs;
 * a failure is one line on stderr, never an internal exception text, and wrote nothing; the named
 * cases get the exact exit code and phrase. A case that crashed the JVM (as ONNX Runtime did on
 * strides=0) fails the whole run.
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
            Path p = write("onnx/random-" + i + ".onnx", damaged(model, r, 8, model.length, i % 4 == 3));
            named.add(new Case("random onnx " + i + " --backend " + List.of("onnx", "tf", "djl").get(i % 3), -1, null,
                    onnxRun(p, List.of("onnx", "tf", "djl").get(i % 3))));
        }
        return named.stream().map(Arguments::of);
    }

    /** {@code source} with 1 to {@code maxFlips} random bits flipped among its first {@code within} bytes, then cut short when {@code cut}. */
    static byte[] damaged(byte[] source, SplittableRandom r, int maxFlips, int within, boolean cut) {
        byte[] b = source.clone();
        int flips = 1 + r.nextInt(maxFlips);
        for (int k = 0; k < flips; k++) {
            b[r.nextInt(within)] ^= (byte) (1 << r.nextInt(8));
        }
        return cut ? Arrays.copyOf(b, r.nextInt(b.length)) : b;
    }

    /** {@code source} with 1 to 3 random characters replaced by {@code symbols}. */
    static String edited(String source, String symbols, SplittableRandom r) {
        char[] c = source.toCharArray();
        int edits = 1 + r.nextInt(3);
        for (int j = 0; j < edits; j++) {
            c[r.nextInt(c.length)] = symbols.charAt(r.nextInt(symbols.length()));
        }
        return new String(c);
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
            // Damage the header and magic mostly: that is where parsing happens.
            byte[] b = damaged(bytes, r, 4, i % 2 == 0 ? 128 : bytes.length, false);
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
            Path m = dir.resolve("keras/random-" + k);
            Files.createDirectories(m);
            Files.writeString(m.resolve("model.json"), edited(json, symbols, r));
            Files.write(m.resolve(shardName), shard);
            cases.add(new Case("random model.json " + k, -1, null, kerasRun(m)));
        }
        byte[] h5 = Files.readAllBytes(source.resolve("tiny.h5"));
        for (int k = 0; k < 25; k++) {
            cases.add(new Case("random h5 " + k, -1, null, kerasRun(write("h5/random-" + k + ".h5", damaged(h5, r, 6, h5.length, k % 5 == 4)))));
        }
        return cases.stream().map(Arguments::of);
    }

    static void check(Case c) {
        Path out = dir.resolve("out-" + c.name().replaceAll("[^A-Za-z0-9]", "_"));
        List<String> args = new ArrayList<>(c.args());
        if (args.get(0).equals("visualize") || args.get(0).equals("explain")) {
            args.addAll(List.of("--out", out.toString()));
        }
        Cli r = Cli.run(args.toArray(String[]::new));
        if (c.code() >= 0) {
            assertEquals(c.code(), r.code(), c.name() + ": " + r.err());
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
            assertFalse(Files.exists(out), c.name() + ": nothing written");
        } else {
            // Damage that left a usable input: the run's outputs are whole.
            switch (args.get(0)) {
                case "visualize" -> assertTrue(Files.isRegularFile(out.resolve("grid.png")) && Files.isRegularFile(out.resolve("run.json")),
                        c.name() + ": exit 0 without grid.png and run.json");
                case "explain" -> assertTrue(Files.isRegularFile(out.resolve("index.html")), c.name() + ": exit 0 without index.html");
                case "gradient" -> assertTrue(Npy.read(Path.of(args.get(args.indexOf("--output") + 1))).data().length > 0, c.name());
                default -> { }
            }
        }
        if (c.phrase() != null) {
            assertTrue(r.err().contains(c.phrase()), c.name() + ": '" + c.phrase() + "' in: " + r.err());
        }
    }

    /** A PNG's chunk with its CRC recomputed, so a lying header is read as written. */
    static void fixPngCrc(byte[] png, int chunkStart, int length) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, chunkStart + 4, 4 + length);
        ByteBuffer.wrap(png).putInt(chunkStart + 8 + length, (int) crc.getValue());
    }

    static List<String> explainRun(Path image) {
        return List.of("explain", "--backend", "onnx", "--model", org.filtervis.models.ModelFiles.demoNetwork().toString(), "--image",
                image.toString(), "--size", "32", "--quiet");
    }

    static byte[] encode(java.awt.image.BufferedImage b, String format) throws IOException {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(b, format, o);
        return o.toByteArray();
    }

    static Stream<Arguments> photoCases() throws IOException {
        List<Case> cases = new ArrayList<>();
        byte[] png = encode(ExplainCliTest.drawn(40, 30, 0), "png");
        byte[] jpg = encode(ExplainCliTest.drawn(30, 40, 1), "jpg");
        // The header declares 100,000 x 100,000 pixels (a decompression bomb): refused before decoding.
        byte[] bomb = png.clone();
        ByteBuffer.wrap(bomb).putInt(16, 100_000).putInt(20, 100_000);
        fixPngCrc(bomb, 8, 13);
        cases.add(new Case("png declaring 100000 x 100000", 2, "filtervis reads at most 100", explainRun(write("photos/bomb.png", bomb))));
        byte[] wide = encode(new java.awt.image.BufferedImage(100_000, 1, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png");
        cases.add(new Case("png of 100000 x 1", 2, "times longer than wide", explainRun(write("photos/wide.png", wide))));
        byte[] large = encode(ExplainCliTest.drawn(160, 120, 1), "jpg");
        cases.add(new Case("truncated jpeg", 2, "truncated", explainRun(write("photos/cut.jpg", Arrays.copyOf(large, large.length * 4 / 5)))));
        cases.add(new Case("empty png", 2, "cannot decode image", explainRun(write("photos/empty.png", new byte[0]))));
        SplittableRandom r = new SplittableRandom(SEED + 3);
        for (int i = 0; i < 30; i++) {
            byte[] source = i % 2 == 0 ? png : jpg;
            byte[] b = damaged(source, r, 6, source.length, i % 5 == 4);
            cases.add(new Case("random photo " + i, -1, null, explainRun(write("photos/random-" + i + (i % 2 == 0 ? ".png" : ".jpg"), b))));
        }
        return cases.stream().map(Arguments::of);
    }

    static List<String> objectiveRun(String objective, int i) {
        return List.of("gradient", "--objective", objective, "--filters", "0", "--input", dir.resolve("npy/valid.npy").toString(), "--output",
                dir.resolve("objective-out/g-" + i + ".npy").toString());
    }

    static Stream<Arguments> objectiveCases() throws IOException {
        npyCases(); // writes npy/valid.npy
        Files.createDirectories(dir.resolve("objective-out"));
        List<Case> cases = new ArrayList<>();
        int i = 0;
        cases.add(new Case("weight 1e400", 2, "is out of range", objectiveRun("1e400 * channel(gabor_relu, f)", i++)));
        cases.add(new Case("weight -1e400", 2, "is out of range", objectiveRun("channel(gabor_relu, f) - 1e400 * l1()", i++)));
        cases.add(new Case("two weights of 1e308", 2, "is out of range", objectiveRun("1e308 * channel(gabor_relu, f) + 1e308 * tv()", i++)));
        cases.add(new Case("weight NaN", 2, "objective", objectiveRun("NaN * channel(gabor_relu, f)", i++)));
        cases.add(new Case("deep nesting", 2, "objective", objectiveRun("(".repeat(10_000) + "channel(gabor_relu, f)" + ")".repeat(10_000), i++)));
        cases.add(new Case("10000 terms", 2, "more than 256 terms", objectiveRun(String.join(" + ", java.util.Collections.nCopies(10_000, "l2()")), i++)));
        cases.add(new Case("alignment decay 1e400", 2, "out of range", objectiveRun("alignment(gabor_relu, 1e400)", i++)));
        String valid = "channel(gabor_relu, f) - 0.5 * neuron(conv2_relu, 3, 2, 2) + 0.01 * deepdream(gabor_relu) - 1e-3 * tv()";
        SplittableRandom r = new SplittableRandom(SEED + 4);
        String symbols = "()*+-.,'eE0123456789 abcfl_";
        for (int k = 0; k < 30; k++) {
            cases.add(new Case("random objective " + k, -1, null, objectiveRun(edited(valid, symbols, r), i++)));
        }
        return cases.stream().map(Arguments::of);
    }

    /** Tiles damaged at random between runs (bytes flipped, cut, deleted, swapped): the rerun renders them again, whole. */
    @org.junit.jupiter.api.Test
    void damagedAtlasTilesAreRenderedAgain() throws IOException {
        Path site = dir.resolve("atlas");
        List<String> args = List.of("atlas", "--backend", "onnx", "--layers", "gabor_relu,conv2_relu", "--filters", "0-3", "--size", "24",
                "--steps", "2", "--out", site.toString(), "--quiet");
        Cli first = Cli.run(args.toArray(String[]::new));
        assertEquals(0, first.code(), first.err());
        List<Path> files;
        try (Stream<Path> s = Files.walk(site.resolve("tiles"))) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        assertEquals(16, files.size(), "8 tiles, a .png and a .json each");
        Map<Path, byte[]> whole = new LinkedHashMap<>();
        for (Path f : files) {
            whole.put(f, Files.readAllBytes(f));
        }
        SplittableRandom r = new SplittableRandom(SEED + 5);
        for (int round = 0; round < 8; round++) {
            for (int k = 0; k < 1 + r.nextInt(3); k++) {
                Path f = files.get(r.nextInt(files.size()));
                if (!Files.exists(f)) {
                    continue;
                }
                byte[] b = Files.readAllBytes(f);
                switch (r.nextInt(4)) {
                    case 0 -> Files.delete(f);
                    case 1 -> Files.write(f, Arrays.copyOf(b, r.nextInt(Math.max(1, b.length))));
                    case 2 -> {
                        b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                        Files.write(f, b);
                    }
                    default -> Files.write(f, whole.get(files.get(r.nextInt(files.size()))));
                }
            }
            Cli again = Cli.run(args.toArray(String[]::new));
            assertEquals(0, again.code(), "round " + round + ": " + again.err());
            for (Path f : files) {
                byte[] now = Files.readAllBytes(f);
                // A flipped byte inside the .json that changes nothing it records may stay; everything else is as first written.
                assertTrue(Arrays.equals(whole.get(f), now) || f.toString().endsWith(".json") && now.length == whole.get(f).length,
                        "round " + round + ": " + f + " is whole again");
            }
        }
    }

    /** Every case of the corpus: models on every backend, .npy batches, Keras files, photos, objectives. */
    @ParameterizedTest(name = "{0}")
    @MethodSource({"onnxCases", "npyCases", "kerasCases", "photoCases", "objectiveCases"})
    void hostileInput(Case c) {
        check(c);
    }
}
