package org.filtervis.graph;

import java.util.Arrays;
import java.util.List;

/**
 * A node attribute: one of float, int, string, tensor, floats, ints, strings. Other kinds (graphs,
 * sparse tensors, type protos) are kept as {@link Kind#OTHER} so an operator that needs them fails
 * clearly instead of running with a missing attribute.
 */
public record Attribute(String name, Kind kind, Object value) {
    /** The ONNX attribute types filtervis reads (OTHER: kept, never interpreted). */
    public enum Kind { FLOAT, INT, STRING, TENSOR, FLOATS, INTS, STRINGS, OTHER }

    public static Attribute of(String name, long v) {
        return new Attribute(name, Kind.INT, v);
    }

    public static Attribute of(String name, float v) {
        return new Attribute(name, Kind.FLOAT, v);
    }

    public static Attribute of(String name, String v) {
        return new Attribute(name, Kind.STRING, v);
    }

    public static Attribute of(String name, long[] v) {
        return new Attribute(name, Kind.INTS, v.clone());
    }

    public static Attribute of(String name, float[] v) {
        return new Attribute(name, Kind.FLOATS, v.clone());
    }

    public static Attribute of(String name, Tensor v) {
        return new Attribute(name, Kind.TENSOR, v);
    }

    public long asLong() {
        return (Long) value;
    }

    public float asFloat() {
        return kind == Kind.INT ? (float) (long) (Long) value : (Float) value;
    }

    public String asString() {
        return (String) value;
    }

    public long[] asLongs() {
        return ((long[]) value).clone();
    }

    public float[] asFloats() {
        return ((float[]) value).clone();
    }

    public Tensor asTensor() {
        return (Tensor) value;
    }

    @SuppressWarnings("unchecked")
    public List<String> asStrings() {
        return (List<String>) value;
    }

    @Override
    public String toString() {
        return name + "=" + switch (kind) {
            case INTS -> Arrays.toString((long[]) value);
            case FLOATS -> Arrays.toString((float[]) value);
            default -> String.valueOf(value);
        };
    }
}
