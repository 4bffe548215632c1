package org.filtervis.graph;

import java.util.List;

/**
 * A graph input or output: name, element type and shape. A dimension is a {@code Long} (fixed),
 * a {@code String} (named, free) or {@code null} (unknown). {@code type} and {@code dims} are
 * null when the model gives no type, which ONNX Runtime accepts for outputs.
 */
public record ValueInfo(String name, DataType type, List<Object> dims) {
    public static ValueInfo untyped(String name) {
        return new ValueInfo(name, null, null);
    }

    public static ValueInfo of(String name, DataType type, long... dims) {
        return new ValueInfo(name, type, java.util.Arrays.stream(dims).boxed().map(d -> (Object) d).toList());
    }

    /** Dimension i as a number, or -1 when it is free or unknown. */
    public long dim(int i) {
        Object d = dims.get(i);
        return d instanceof Long l ? l : -1;
    }

    public int rank() {
        return dims == null ? -1 : dims.size();
    }
}
