package org.filtervis.graph;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FiltervisException;

/**
 * Reads and writes ONNX model files (protocol buffers, field numbers from onnx.proto) without a
 * protobuf runtime. Reads what filtervis uses; writes what it builds.
 */
public final class OnnxFormat {
    private OnnxFormat() {}

    public static OnnxModel read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw FiltervisException.usage("model file not found: " + file);
        } catch (IOException e) {
            throw FiltervisException.usage("cannot read model file " + file + ": " + e.getMessage());
        }
        try {
            OnnxModel model = read(bytes);
            if (model.graph == null || model.graph.nodes.isEmpty()) {
                throw new ProtoReader.Truncated("it has no graph");
            }
            OnnxChecks.validate(model);
            return model;
        } catch (OnnxChecks.Invalid e) {
            throw FiltervisException.failure(file + " is not a valid ONNX model: " + e.getMessage()
                    + "; fix or re-export it (onnx.checker.check_model finds such errors)");
        } catch (ProtoReader.Truncated | IllegalArgumentException e) {
            throw FiltervisException.failure(file + " is not a readable ONNX model (" + e.getMessage()
                    + "); is the file truncated, or another format? Re-export it with torch.onnx.export or onnx.save");
        }
    }

    public static OnnxModel read(byte[] bytes) {
        ProtoReader r = new ProtoReader(bytes);
        OnnxModel model = new OnnxModel(null, 1);
        model.opsets.clear();
        model.irVersion = 0;
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> model.irVersion = r.varint();
                case 2 -> model.producerName = r.string();
                case 3 -> model.producerVersion = r.string();
                case 7 -> model.graph = readGraph(r.message());
                case 8 -> {
                    ProtoReader o = r.message();
                    String domain = "";
                    long version = 0;
                    while (o.more()) {
                        int t = o.tag();
                        switch (t >>> 3) {
                            case 1 -> domain = o.string();
                            case 2 -> version = o.varint();
                            default -> o.skip(t & 7);
                        }
                    }
                    model.opsets.put(domain.equals("ai.onnx") ? "" : domain, version);
                }
                case 14 -> {
                    String[] kv = readStringPair(r.message());
                    model.metadata.put(kv[0], kv[1]);
                }
                default -> r.skip(tag & 7);
            }
        }
        if (model.irVersion <= 0 || model.opsets.isEmpty()) {
            throw new ProtoReader.Truncated("no ONNX version or operator set");
        }
        return model;
    }

    private static String[] readStringPair(ProtoReader r) {
        String[] kv = {"", ""};
        while (r.more()) {
            int t = r.tag();
            switch (t >>> 3) {
                case 1 -> kv[0] = r.string();
                case 2 -> kv[1] = r.string();
                default -> r.skip(t & 7);
            }
        }
        return kv;
    }

    private static Graph readGraph(ProtoReader r) {
        Graph g = new Graph("");
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> g.nodes.add(readNode(r.message()));
                case 2 -> g.name = r.string();
                case 5 -> {
                    Tensor[] named = new Tensor[1];
                    String name = readTensor(r.message(), named);
                    if (g.initializers.put(name, named[0]) != null) {
                        throw new OnnxChecks.Invalid("initializer '" + name + "' is defined twice");
                    }
                }
                case 11 -> g.inputs.add(readValueInfo(r.message()));
                case 12 -> g.outputs.add(readValueInfo(r.message()));
                default -> r.skip(tag & 7);
            }
        }
        return g;
    }

    private static Node readNode(ProtoReader r) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        String name = "", op = "", domain = "";
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> inputs.add(r.string());
                case 2 -> outputs.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> {
                    Attribute a = readAttribute(r.message());
                    attrs.put(a.name(), a);
                }
                case 7 -> domain = r.string();
                default -> r.skip(tag & 7);
            }
        }
        return new Node(op, name, domain, inputs, outputs, attrs);
    }

    private static Attribute readAttribute(ProtoReader r) {
        String name = "";
        int type = 0;
        Float f = null;
        Long i = null;
        String s = null;
        Tensor t = null;
        List<Float> floats = new ArrayList<>();
        List<Long> ints = new ArrayList<>();
        List<String> strings = new ArrayList<>();
        while (r.more()) {
            int tag = r.tag();
            int wire = tag & 7;
            switch (tag >>> 3) {
                case 1 -> name = r.string();
                case 20 -> type = (int) r.varint();
                case 2 -> f = Float.intBitsToFloat(r.fixed32());
                case 3 -> i = r.varint();
                case 4 -> s = r.string();
                case 5 -> {
                    Tensor[] holder = new Tensor[1];
                    readTensor(r.message(), holder);
                    t = holder[0];
                }
                case 7 -> r.fixed32s(wire, v -> floats.add(Float.intBitsToFloat(v)));
                case 8 -> r.varints(wire, ints::add);
                case 9 -> strings.add(r.string());
                default -> r.skip(wire);
            }
        }
        return switch (type) {
            case 1 -> new Attribute(name, Attribute.Kind.FLOAT, f == null ? 0f : f);
            case 2 -> new Attribute(name, Attribute.Kind.INT, i == null ? 0L : i);
            case 3 -> new Attribute(name, Attribute.Kind.STRING, s == null ? "" : s);
            case 4 -> new Attribute(name, Attribute.Kind.TENSOR, t);
            case 6 -> {
                float[] a = new float[floats.size()];
                for (int k = 0; k < a.length; k++) a[k] = floats.get(k);
                yield new Attribute(name, Attribute.Kind.FLOATS, a);
            }
            case 7 -> new Attribute(name, Attribute.Kind.INTS, ints.stream().mapToLong(Long::longValue).toArray());
            case 8 -> new Attribute(name, Attribute.Kind.STRINGS, List.copyOf(strings));
            default -> new Attribute(name, Attribute.Kind.OTHER, null);
        };
    }

    /** Reads a TensorProto into {@code out[0]} and returns its name. */
    private static String readTensor(ProtoReader r, Tensor[] out) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        byte[] raw = null;
        List<Long> ints = new ArrayList<>();
        List<Integer> floatBits = new ArrayList<>();
        List<Long> doubleBits = new ArrayList<>();
        boolean external = false;
        while (r.more()) {
            int tag = r.tag();
            int wire = tag & 7;
            switch (tag >>> 3) {
                case 1 -> r.varints(wire, dims::add);
                case 2 -> type = (int) r.varint();
                case 4 -> r.fixed32s(wire, floatBits::add);
                case 5, 7, 11 -> r.varints(wire, ints::add);
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 10 -> r.fixed64s(wire, doubleBits::add);
                case 14 -> external = r.varint() == 1;
                default -> r.skip(wire);
            }
        }
        if (external) {
            throw FiltervisException.failure("tensor '" + name + "' is stored as external data, which filtervis does not read;"
                    + " save the model as one file (onnx.save(model, path, save_as_external_data=False))");
        }
        DataType dt = DataType.of(type);
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        // The declared shape must match the values present: checked before anything is allocated.
        long elements = 1;
        for (long d : shape) {
            if (d < 0 || (d > 0 && elements > Integer.MAX_VALUE / d)) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + java.util.Arrays.toString(shape));
            }
            elements *= d;
        }
        long listed = raw != null ? (dt.bytes > 0 ? raw.length / dt.bytes : elements)
                : switch (dt) {
                    case FLOAT -> floatBits.size();
                    case DOUBLE -> doubleBits.size();
                    default -> ints.size();
                };
        if (listed != elements || (raw != null && dt.bytes > 0 && raw.length % dt.bytes != 0)) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + java.util.Arrays.toString(shape) + " but holds " + listed
                    + " values");
        }
        if (raw == null) {
            int n = (int) elements;
            ByteBuffer b = ByteBuffer.allocate(n * Math.max(dt.bytes, 1)).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < n; k++) {
                switch (dt) {
                    case FLOAT -> b.putInt(floatBits.get(k));
                    case DOUBLE -> b.putLong(doubleBits.get(k));
                    case INT64, UINT64 -> b.putLong(ints.get(k));
                    case INT32, UINT32 -> b.putInt((int) (long) ints.get(k));
                    case INT16, UINT16, FLOAT16, BFLOAT16 -> b.putShort((short) (long) ints.get(k));
                    case INT8, UINT8, BOOL -> b.put((byte) (long) ints.get(k));
                    default -> throw FiltervisException.failure("tensor '" + name + "' has type " + dt + ", which filtervis does not read");
                }
            }
            raw = b.array();
        }
        out[0] = new Tensor(dt, shape, raw);
        return name;
    }

    private static ValueInfo readValueInfo(ProtoReader r) {
        String name = "";
        DataType type = null;
        List<Object> dims = null;
        while (r.more()) {
            int tag = r.tag();
            if (tag >>> 3 == 1) {
                name = r.string();
            } else if (tag >>> 3 == 2) {
                ProtoReader typeProto = r.message();
                while (typeProto.more()) {
                    int t = typeProto.tag();
                    if (t >>> 3 != 1) {
                        typeProto.skip(t & 7);
                        continue;
                    }
                    ProtoReader tensorType = typeProto.message();
                    while (tensorType.more()) {
                        int tt = tensorType.tag();
                        if (tt >>> 3 == 1) {
                            type = DataType.of((int) tensorType.varint());
                        } else if (tt >>> 3 == 2) {
                            dims = new ArrayList<>();
                            ProtoReader shape = tensorType.message();
                            while (shape.more()) {
                                int st = shape.tag();
                                if (st >>> 3 != 1) {
                                    shape.skip(st & 7);
                                    continue;
                                }
                                ProtoReader dim = shape.message();
                                Object value = null;
                                while (dim.more()) {
                                    int dt = dim.tag();
                                    switch (dt >>> 3) {
                                        case 1 -> value = dim.varint();
                                        case 2 -> value = dim.string();
                                        default -> dim.skip(dt & 7);
                                    }
                                }
                                dims.add(value);
                            }
                        } else {
                            tensorType.skip(tt & 7);
                        }
                    }
                }
            } else {
                r.skip(tag & 7);
            }
        }
        return new ValueInfo(name, type, dims);
    }

    // ---------------------------------------------------------------- writing

    public static byte[] write(OnnxModel model) {
        ProtoWriter w = new ProtoWriter();
        w.varint(1, model.irVersion);
        w.string(2, model.producerName);
        if (!model.producerVersion.isEmpty()) {
            w.string(3, model.producerVersion);
        }
        w.message(7, writeGraph(model.graph));
        model.opsets.forEach((domain, version) -> {
            ProtoWriter o = new ProtoWriter();
            if (!domain.isEmpty()) {
                o.string(1, domain);
            }
            o.varint(2, version);
            w.message(8, o);
        });
        model.metadata.forEach((k, v) -> w.message(14, new ProtoWriter().string(1, k).string(2, v)));
        return w.toBytes();
    }

    public static void write(OnnxModel model, Path file) throws IOException {
        Files.write(file, write(model));
    }

    private static ProtoWriter writeGraph(Graph g) {
        ProtoWriter w = new ProtoWriter();
        for (Node n : g.nodes) {
            w.message(1, writeNode(n));
        }
        w.string(2, g.name == null || g.name.isEmpty() ? "graph" : g.name);
        g.initializers.forEach((name, t) -> w.message(5, writeTensor(name, t)));
        g.inputs.forEach(v -> w.message(11, writeValueInfo(v)));
        g.outputs.forEach(v -> w.message(12, writeValueInfo(v)));
        return w;
    }

    private static ProtoWriter writeNode(Node n) {
        ProtoWriter w = new ProtoWriter();
        n.inputs().forEach(i -> w.string(1, i));
        n.outputs().forEach(o -> w.string(2, o));
        if (!n.name().isEmpty()) {
            w.string(3, n.name());
        }
        w.string(4, n.opType());
        for (Attribute a : n.attributes().values()) {
            if (a.kind() == Attribute.Kind.OTHER) {
                throw FiltervisException.failure("cannot write attribute '" + a.name() + "' of node " + n.describe()
                        + ": graph-valued attributes are not supported");
            }
            w.message(5, writeAttribute(a));
        }
        if (!n.domain().isEmpty()) {
            w.string(7, n.domain());
        }
        return w;
    }

    private static ProtoWriter writeAttribute(Attribute a) {
        ProtoWriter w = new ProtoWriter().string(1, a.name());
        switch (a.kind()) {
            case FLOAT -> w.fixed32(2, Float.floatToRawIntBits((Float) a.value())).varint(20, 1);
            case INT -> w.varint(3, (Long) a.value()).varint(20, 2);
            case STRING -> w.string(4, a.asString()).varint(20, 3);
            case TENSOR -> w.message(5, writeTensor("", a.asTensor())).varint(20, 4);
            case FLOATS -> w.packedFloats(7, a.asFloats()).varint(20, 6);
            case INTS -> w.packedVarints(8, a.asLongs()).varint(20, 7);
            case STRINGS -> {
                a.asStrings().forEach(s -> w.string(9, s));
                w.varint(20, 8);
            }
            default -> throw new IllegalStateException();
        }
        return w;
    }

    private static ProtoWriter writeTensor(String name, Tensor t) {
        ProtoWriter w = new ProtoWriter();
        if (t.rank() > 0) {
            w.packedVarints(1, t.shape());
        }
        w.varint(2, t.type().code);
        if (!name.isEmpty()) {
            w.string(8, name);
        }
        w.bytes(9, t.raw());
        return w;
    }

    private static ProtoWriter writeValueInfo(ValueInfo v) {
        ProtoWriter w = new ProtoWriter().string(1, v.name());
        if (v.type() != null) {
            ProtoWriter tensorType = new ProtoWriter().varint(1, v.type().code);
            if (v.dims() != null) {
                ProtoWriter shape = new ProtoWriter();
                for (Object d : v.dims()) {
                    ProtoWriter dim = new ProtoWriter();
                    if (d instanceof Long l) {
                        dim.varint(1, l);
                    } else if (d instanceof String s) {
                        dim.string(2, s);
                    }
                    shape.message(1, dim);
                }
                tensorType.message(2, shape);
            }
            w.message(2, new ProtoWriter().message(1, tensorType));
        }
        return w;
    }
}
