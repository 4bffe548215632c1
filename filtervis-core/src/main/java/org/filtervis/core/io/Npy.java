package org.filtervis.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.filtervis.api.FiltervisException;

/** NumPy {@code .npy} files of float32 in C order, the format of {@code filtervis gradient}. */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** A float32 array: its shape and its values in C order. */
    public record Array(long[] shape, float[] data) {}

    private Npy() {}

    public static Array read(Path file) {
        return parse(UntrustedFiles.read(file, ".npy file", Integer.MAX_VALUE - 64), file.toString());
    }

    /** The array of a .npy file's bytes; {@code file} names it in errors. */
    public static Array parse(byte[] bytes, String file) {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw FiltervisException.usage(file + " is not a NumPy .npy file; save the batch with numpy.save");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[6];
        int headerLen = major == 1 ? b.getShort(8) & 0xffff : b.getInt(8);
        int start = major == 1 ? 10 : 12;
        if (headerLen < 0 || (long) start + headerLen > bytes.length) {
            throw FiltervisException.usage(file + " is a truncated .npy file");
        }
        String header = new String(bytes, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw FiltervisException.usage(file + " has an unreadable .npy header");
        }
        if (!d.group(1).equals("<f4")) {
            throw FiltervisException.usage(file + " holds dtype '" + d.group(1) + "'; filtervis needs float32 ('<f4'): save it with x.astype(numpy.float32)");
        }
        if (o.group(1).equals("True")) {
            throw FiltervisException.usage(file + " is in Fortran order; save it in C order (numpy.ascontiguousarray)");
        }
        long[] shape;
        try {
            shape = Arrays.stream(s.group(1).split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw FiltervisException.usage(file + " has an unreadable .npy shape (" + s.group(1) + ")");
        }
        int dataStart = start + headerLen;
        long held = (bytes.length - dataStart) / 4;
        // The product of the dimensions, stopped as soon as it passes what the file holds (so it cannot overflow).
        long n = 1;
        for (long dim : shape) {
            if (dim < 0 || (dim > 0 && n > held / dim)) {
                throw FiltervisException.usage(file + " declares shape " + Arrays.toString(shape) + " but holds " + held
                        + " floats; the file is corrupt or truncated");
            }
            n *= dim;
        }
        if (bytes.length - dataStart != n * 4) {
            throw FiltervisException.usage(file + " declares shape " + Arrays.toString(shape) + " (" + n + " floats) but holds "
                    + (bytes.length - dataStart) / 4 + (n * 4 > bytes.length - dataStart ? "; the file is truncated" : "; the file is corrupt"));
        }
        float[] data = new float[(int) n];
        b.position(dataStart);
        b.asFloatBuffer().get(data);
        return new Array(shape, data);
    }

    public static void write(Path file, long[] shape, float[] data) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + dims.substring(0, Math.max(0, dims.length() - 2)) + ")";
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.asFloatBuffer().put(data);
        byte[] bytes = b.array();
        AtomicFiles.write(file, out -> out.write(bytes));
    }
}
