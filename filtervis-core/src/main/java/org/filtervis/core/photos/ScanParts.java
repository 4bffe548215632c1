package org.filtervis.core.photos;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.filtervis.core.io.AtomicFiles;

/**
 * The finished partitions of a scan on an engine, kept so a rerun with the same settings scans
 * only what is missing (as the atlas keeps its tiles): each partition's result in
 * {@code OUT/.parts/<key>/<index>-<photos' hash>.part}, written whole by the executor that scanned
 * it. The key hashes every setting that shapes a result; the name hashes the partition's photos,
 * so a changed collection is scanned again. Reading one back accepts only the classes a result is
 * made of (it is a file in the output, which someone may have replaced).
 *
 * @param folder the key's folder, as a String (it travels to executors)
 */
public record ScanParts(String folder) implements Serializable {
    /** The store of {@code out} for {@code settings}. */
    static ScanParts of(Path out, String settings) {
        return new ScanParts(out.resolve(".parts").resolve(hash(settings).substring(0, 16)).toAbsolutePath().toString());
    }

    /** A partition of the scan: its index and its photos. */
    public record Chunk(int index, List<String> photos) implements Serializable {}

    private Path file(Chunk c) {
        return Path.of(folder).resolve(c.index() + "-" + hash(String.join("\n", c.photos())).substring(0, 16) + ".part");
    }

    /** The stored result of {@code c}, if a whole one is there. */
    public Optional<ExamplesJob.Result> load(Chunk c) {
        Path f = file(c);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(Files.readAllBytes(f)))) {
            in.setObjectInputFilter(ScanParts::allowed);
            return Optional.of((ExamplesJob.Result) in.readObject());
        } catch (IOException | ClassNotFoundException | ClassCastException | IllegalArgumentException e) {
            return Optional.empty(); // damaged or not ours: scanned again
        }
    }

    /** Stores {@code c}'s result whole (a temporary file, then a rename). */
    public void save(Chunk c, ExamplesJob.Result r) {
        try {
            Files.createDirectories(Path.of(folder));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(r);
            }
            byte[] b = bytes.toByteArray();
            AtomicFiles.write(file(c), o -> o.write(b));
        } catch (IOException e) {
            // A part that cannot be kept costs a rescan next time, not this scan.
        }
    }

    /** Only the classes a scan's result holds, and bounded sizes. */
    private static ObjectInputFilter.Status allowed(ObjectInputFilter.FilterInfo info) {
        if (info.depth() > 20 || info.references() > 50_000_000 || info.arrayLength() > 100_000_000) {
            return ObjectInputFilter.Status.REJECTED;
        }
        Class<?> c = info.serialClass();
        if (c == null) {
            return ObjectInputFilter.Status.UNDECIDED;
        }
        if (c.isArray()) {
            c = c.getComponentType();
        }
        String n = c.getName();
        boolean ok = c.isPrimitive() || n.equals("java.lang.String") || n.equals("java.lang.Object") || n.equals("java.lang.Integer") || n.equals("java.lang.Number")
                || n.equals("java.util.ArrayList") || n.equals("java.util.LinkedHashMap") || n.equals("java.util.HashMap") || n.equals("java.util.Map$Entry")
                || n.equals("java.util.Collections$UnmodifiableRandomAccessList") || n.equals("java.util.Collections$UnmodifiableList")
                || n.equals("java.util.Collections$UnmodifiableCollection") || n.equals("java.util.ImmutableCollections$ListN")
                || n.equals("java.util.ImmutableCollections$List12") || n.equals("java.util.CollSer") || n.equals("java.lang.Record")
                || n.startsWith("org.filtervis.core.photos.ExamplesJob$") || n.startsWith("org.filtervis.core.photos.TopK");
        return ok ? ObjectInputFilter.Status.ALLOWED : ObjectInputFilter.Status.REJECTED;
    }

    static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
