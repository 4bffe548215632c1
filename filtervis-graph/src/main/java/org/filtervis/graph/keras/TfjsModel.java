package org.filtervis.graph.keras;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FiltervisException;

/**
 * A Keras model in TF.js layers format: the topology and the weights, dequantized to float32.
 * Reads the standard layout ({@code model.json} + binary shards) and the wrapped form that npm
 * packages such as nsfwjs ship ({@code model.min.js} holding the topology as a JavaScript object,
 * {@code group1-shard1of6.min.js} each holding a shard as a base64 string).
 */
public final class TfjsModel {
    /** The Keras {@code model_config}: class name and config. */
    public final Map<String, Object> modelConfig;
    /** Weights by name (e.g. {@code conv2d_1/kernel}), float32, with their shapes. */
    public final Map<String, Weight> weights;

    /** One weight: its Keras shape and its values, dequantized to float32. */
    public record Weight(long[] shape, float[] values) {}

    private TfjsModel(Map<String, Object> modelConfig, Map<String, Weight> weights) {
        this.modelConfig = modelConfig;
        this.weights = weights;
    }

    /** A Keras model read from elsewhere (an HDF5 file): its {@code model_config} and its weights by {@code layer/param}. */
    public static TfjsModel of(Map<String, Object> modelConfig, Map<String, Weight> weights) {
        return new TfjsModel(modelConfig, weights);
    }

    /** Whether {@code path} looks like a TF.js layers model: a model.json, a model.min.js, or a folder holding one. */
    public static boolean isTfjs(Path path) {
        if (Files.isDirectory(path)) {
            return Files.isRegularFile(path.resolve("model.json")) || Files.isRegularFile(path.resolve("model.min.js"));
        }
        String name = path.getFileName().toString();
        return name.equals("model.json") || name.endsWith(".min.js") || (name.endsWith(".json") && Files.isRegularFile(path));
    }

    /** Reads a folder (model.json or model.min.js inside), a model.json or a model.min.js. */
    public static TfjsModel read(Path path) {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = Files.isRegularFile(path.resolve("model.json")) ? path.resolve("model.json") : path.resolve("model.min.js");
        }
        if (!Files.isRegularFile(file)) {
            throw FiltervisException.usage("no TF.js model at " + path + "; give a folder with model.json (or model.min.js), or the file itself");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw FiltervisException.failure("cannot read " + file + ": " + e.getMessage(), e);
        }
        boolean wrapped = file.getFileName().toString().endsWith(".js");
        Map<String, Object> root;
        try {
            int start = wrapped ? objectStart(text, "modelTopology") : text.indexOf('{');
            root = asMap(JsLiteral.parse(text, start), "the model");
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw FiltervisException.failure(file + " is not a TF.js layers model (" + e.getMessage() + ")");
        }
        Map<String, Object> topology = asMap(root.get("modelTopology"), "modelTopology");
        Map<String, Object> config = asMap(topology.containsKey("model_config") ? topology.get("model_config") : topology, "model_config");
        List<Object> manifest = asList(root.get("weightsManifest"), "weightsManifest");
        Map<String, Weight> weights = new LinkedHashMap<>();
        Path dir = file.toAbsolutePath().getParent();
        for (Object group : manifest) {
            Map<String, Object> g = asMap(group, "a weights group");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (Object p : asList(g.get("paths"), "paths")) {
                if (!(p instanceof String shardPath)) {
                    throw FiltervisException.failure("TF.js model: a weight shard path is not a string");
                }
                byte[] shard = shard(dir, shardPath);
                if (shard.length > Integer.MAX_VALUE - 64 - bytes.size()) {
                    throw FiltervisException.failure("the weight shards of " + file + " hold more than 2 GB in one group; not supported");
                }
                bytes.writeBytes(shard);
            }
            ByteBuffer data = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            for (Object w : asList(g.get("weights"), "weights")) {
                Map<String, Object> spec = asMap(w, "a weight");
                String name = (String) spec.get("name");
                long[] shape = asList(spec.get("shape"), "shape").stream().mapToLong(d -> ((Number) d).longValue()).toArray();
                weights.put(name, new Weight(shape, decode(spec, shape, data, name)));
            }
            if (data.hasRemaining()) {
                throw FiltervisException.failure("the weight shards of " + file + " hold " + data.remaining() + " bytes more than the manifest lists");
            }
        }
        return new TfjsModel(config, weights);
    }

    /** Where the object that holds {@code key} begins in a wrapped .js file. */
    private static int objectStart(String text, String key) {
        int k = text.indexOf(key + ":");
        if (k < 0) {
            k = text.indexOf("\"" + key + "\"");
        }
        if (k < 0) {
            throw new IllegalArgumentException("no " + key + " in it");
        }
        int brace = text.lastIndexOf('{', k);
        if (brace < 0) {
            throw new IllegalArgumentException("no object around " + key);
        }
        return brace;
    }

    /** A shard's bytes: the binary file, or the base64 string inside {@code <path>.min.js}. */
    private static byte[] shard(Path dir, String path) {
        Path bin = inside(dir, path);
        Path js = inside(dir, path + ".min.js");
        try {
            if (Files.isRegularFile(bin)) {
                return Files.readAllBytes(bin);
            }
            if (Files.isRegularFile(js)) {
                String t = Files.readString(js, StandardCharsets.UTF_8);
                int at = t.indexOf("exports=\"");
                if (at < 0) {
                    throw FiltervisException.failure(js + " does not wrap a base64 weight shard");
                }
                int from = at + "exports=\"".length();
                return Base64.getDecoder().decode(t.substring(from, t.indexOf('"', from)));
            }
        } catch (IOException e) {
            throw FiltervisException.failure("cannot read the weight shard " + path + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw FiltervisException.failure("the weight shard " + js + " is not valid base64 (" + e.getMessage() + ")");
        }
        throw FiltervisException.failure("weight shard " + path + " is missing next to the model (looked for " + bin.getFileName() + " and "
                + js.getFileName() + ")");
    }

    /**
     * {@code dir/path}, refused unless it stays inside {@code dir} (after following links): a
     * model file names its shards, and must never make us read anything else.
     */
    static Path inside(Path dir, String path) {
        Path p;
        try {
            p = dir.resolve(path).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw FiltervisException.failure("weight shard path '" + path + "' is not a file name; the model is refused");
        }
        boolean within = p.startsWith(dir.normalize()) && !Path.of(path).isAbsolute();
        if (within && Files.exists(p)) {
            try {
                within = p.toRealPath().startsWith(dir.toRealPath());
            } catch (IOException e) {
                within = false;
            }
        }
        if (!within) {
            throw FiltervisException.failure("weight shard path '" + path + "' points outside the model's folder " + dir
                    + "; the model is refused (shards must sit next to model.json)");
        }
        return p;
    }

    /** One weight's float32 values: raw float32/int32, or uint8/uint16 affine-quantized (min + scale * q), or float16. */
    private static float[] decode(Map<String, Object> spec, long[] shape, ByteBuffer data, String name) {
        Object q = spec.get("quantization");
        String dtype = (String) spec.getOrDefault("dtype", "float32");
        String stored = q instanceof Map<?, ?> m && m.get("dtype") instanceof String t ? t : dtype;
        int width = switch (stored) {
            case "uint8" -> 1;
            case "uint16", "float16" -> 2;
            default -> 4;
        };
        // The shape is checked against the bytes there before anything is allocated.
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw FiltervisException.failure("weight " + name + " has shape " + java.util.Arrays.toString(shape) + " with a negative size");
            }
            if (d > 0 && n > data.remaining() / d) {
                throw FiltervisException.failure("the weight shards end inside weight " + name + " (shape " + java.util.Arrays.toString(shape)
                        + ", " + data.remaining() + " bytes left); the package is incomplete");
            }
            n *= d;
        }
        if (n * width > data.remaining()) {
            throw FiltervisException.failure("the weight shards end inside weight " + name + "; the package is incomplete");
        }
        float[] v = new float[(int) n];
        try {
            if (q != null) {
                Map<String, Object> quant = asMap(q, "quantization");
                String qtype = (String) quant.get("dtype");
                if (qtype.equals("float16")) {
                    for (int i = 0; i < n; i++) {
                        v[i] = org.filtervis.graph.Tensor.halfToFloat(data.getShort());
                    }
                    return v;
                }
                double min = ((Number) quant.get("min")).doubleValue();
                double scale = ((Number) quant.get("scale")).doubleValue();
                for (int i = 0; i < n; i++) {
                    int level = switch (qtype) {
                        case "uint8" -> data.get() & 0xff;
                        case "uint16" -> data.getShort() & 0xffff;
                        default -> throw FiltervisException.failure("weight " + name + " uses quantization " + qtype + "; supported: uint8, uint16, float16");
                    };
                    v[i] = (float) (min + scale * level);
                }
                return v;
            }
            for (int i = 0; i < n; i++) {
                v[i] = switch (dtype) {
                    case "float32" -> data.getFloat();
                    case "int32" -> data.getInt();
                    default -> throw FiltervisException.failure("weight " + name + " has dtype " + dtype + "; supported: float32, int32");
                };
            }
            return v;
        } catch (java.nio.BufferUnderflowException e) {
            throw FiltervisException.failure("the weight shards end inside weight " + name + "; the package is incomplete");
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o, String what) {
        if (!(o instanceof Map)) {
            throw FiltervisException.failure("TF.js model: " + what + " is missing or not an object");
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> asList(Object o, String what) {
        if (!(o instanceof List)) {
            throw FiltervisException.failure("TF.js model: " + what + " is missing or not a list");
        }
        return (List<Object>) o;
    }
}
