package org.filtervis.graph;

import java.nio.charset.StandardCharsets;

/**
 * Reads the protocol buffers wire format (the subset ONNX uses), so the graph module needs no
 * protobuf runtime. Every read checks bounds: a truncated file fails with {@link Truncated}.
 */
final class ProtoReader {
    static final class Truncated extends RuntimeException {
        Truncated(String what) {
            super(what);
        }
    }

    private final byte[] buf;
    private int pos;
    private final int end;

    ProtoReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private ProtoReader(byte[] buf, int start, int end) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
    }

    boolean more() {
        return pos < end;
    }

    /** Returns the next tag: field number << 3 | wire type. */
    int tag() {
        long t = varint();
        if (t <= 0 || t > Integer.MAX_VALUE) {
            throw new Truncated("bad field tag " + t);
        }
        return (int) t;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new Truncated("varint runs past the end");
            }
            byte b = buf[pos++];
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new Truncated("varint longer than 10 bytes");
    }

    int fixed32() {
        need(4);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    long fixed64() {
        long lo = fixed32() & 0xffffffffL;
        long hi = fixed32() & 0xffffffffL;
        return lo | hi << 32;
    }

    /** A length-delimited field as a reader over its bytes. */
    ProtoReader message() {
        int len = length();
        ProtoReader sub = new ProtoReader(buf, pos, pos + len);
        pos += len;
        return sub;
    }

    byte[] bytes() {
        int len = length();
        byte[] out = new byte[len];
        System.arraycopy(buf, pos, out, 0, len);
        pos += len;
        return out;
    }

    String string() {
        int len = length();
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /** Reads one repeated varint value, packed or not, into {@code sink}. */
    void varints(int wireType, java.util.function.LongConsumer sink) {
        if (wireType == 2) {
            ProtoReader packed = message();
            while (packed.more()) {
                sink.accept(packed.varint());
            }
        } else {
            sink.accept(varint());
        }
    }

    void fixed32s(int wireType, java.util.function.IntConsumer sink) {
        if (wireType == 2) {
            ProtoReader packed = message();
            while (packed.more()) {
                sink.accept(packed.fixed32());
            }
        } else {
            sink.accept(fixed32());
        }
    }

    void fixed64s(int wireType, java.util.function.LongConsumer sink) {
        if (wireType == 2) {
            ProtoReader packed = message();
            while (packed.more()) {
                sink.accept(packed.fixed64());
            }
        } else {
            sink.accept(fixed64());
        }
    }

    void skip(int wireType) {
        switch (wireType) {
            case 0 -> varint();
            case 1 -> { need(8); pos += 8; }
            case 2 -> { int len = length(); pos += len; }
            case 5 -> { need(4); pos += 4; }
            default -> throw new Truncated("unknown wire type " + wireType);
        }
    }

    private int length() {
        long len = varint();
        if (len < 0 || len > end - pos) {
            throw new Truncated("field length " + len + " runs past the end");
        }
        return (int) len;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw new Truncated("value runs past the end");
        }
    }
}
