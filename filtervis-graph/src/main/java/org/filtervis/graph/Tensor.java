package org.filtervis.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A constant tensor: element type, shape and little-endian raw bytes (ONNX's {@code raw_data}
 * layout, row-major). Immutable by convention: never change the arrays it hands out.
 */
public final class Tensor {
    private final DataType type;
    private final long[] shape;
    private final byte[] raw;

    public Tensor(DataType type, long[] shape, byte[] raw) {
        long n = elements(shape);
        if (type.bytes > 0 && n * type.bytes != raw.length) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and type " + type
                    + " needs " + n * type.bytes + " bytes, has " + raw.length);
        }
        this.type = type;
        this.shape = shape.clone();
        this.raw = raw;
    }

    public static Tensor ofFloats(long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new Tensor(DataType.FLOAT, shape, b.array());
    }

    public static Tensor ofLongs(long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new Tensor(DataType.INT64, shape, b.array());
    }

    /** A 1-D int64 tensor. */
    public static Tensor vector(long... values) {
        return ofLongs(new long[] {values.length}, values);
    }

    /** A float scalar (rank 0). */
    public static Tensor scalar(float value) {
        return ofFloats(new long[0], value);
    }

    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public DataType type() {
        return type;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long elements() {
        return elements(shape);
    }

    public byte[] raw() {
        return raw;
    }

    private ByteBuffer buffer() {
        return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Values as float, converting from any numeric type. */
    public float[] floats() {
        double[] d = doubles();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** Values as long, converting from any integer or boolean type. */
    public long[] longs() {
        int n = (int) elements();
        long[] out = new long[n];
        ByteBuffer b = buffer();
        for (int i = 0; i < n; i++) {
            out[i] = switch (type) {
                case INT64, UINT64 -> b.getLong(i * 8);
                case INT32 -> b.getInt(i * 4);
                case UINT32 -> b.getInt(i * 4) & 0xffffffffL;
                case INT16 -> b.getShort(i * 2);
                case UINT16 -> b.getShort(i * 2) & 0xffff;
                case INT8 -> b.get(i);
                case UINT8, BOOL -> b.get(i) & 0xff;
                case FLOAT -> (long) b.getFloat(i * 4);
                case DOUBLE -> (long) b.getDouble(i * 8);
                default -> throw new IllegalStateException("cannot read " + type + " as integers");
            };
        }
        return out;
    }

    /** Values as double, converting from any numeric type. */
    public double[] doubles() {
        int n = (int) elements();
        double[] out = new double[n];
        ByteBuffer b = buffer();
        switch (type) {
            case FLOAT -> { for (int i = 0; i < n; i++) out[i] = b.getFloat(i * 4); }
            case DOUBLE -> { for (int i = 0; i < n; i++) out[i] = b.getDouble(i * 8); }
            case FLOAT16 -> { for (int i = 0; i < n; i++) out[i] = halfToFloat(b.getShort(i * 2)); }
            default -> {
                long[] l = longs();
                for (int i = 0; i < n; i++) out[i] = l[i];
            }
        }
        return out;
    }

    /** Row-major float data of a tensor of {@code shape} transposed by {@code perm} (output axis i is input axis perm[i]). */
    public static float[] transpose(float[] data, long[] shape, int[] perm) {
        int rank = shape.length;
        long[] outShape = new long[rank];
        long[] inStrides = new long[rank];
        long acc = 1;
        for (int d = rank - 1; d >= 0; d--) {
            inStrides[d] = acc;
            acc *= shape[d];
        }
        for (int d = 0; d < rank; d++) {
            outShape[d] = shape[perm[d]];
        }
        float[] out = new float[data.length];
        int[] idx = new int[rank];
        for (int o = 0; o < out.length; o++) {
            long src = 0;
            for (int d = 0; d < rank; d++) {
                src += idx[d] * inStrides[perm[d]];
            }
            out[o] = data[(int) src];
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
    public static float halfToFloat(short h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 10) & 0x1f;
        int mant = h & 0x3ff;
        float magnitude;
        if (exp == 0) {
            magnitude = mant * 0x1p-24f;
        } else if (exp == 31) {
            magnitude = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat((exp + 112) << 23 | mant << 13);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    @Override
    public String toString() {
        return type + Arrays.toString(shape);
    }
}
