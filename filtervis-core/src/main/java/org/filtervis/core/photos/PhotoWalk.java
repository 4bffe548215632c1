package org.filtervis.core.photos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.io.IoMessages;

/**
 * A photo collection walked one folder at a time, depth first, each folder's entries in byte
 * order of their names, so memory holds one folder's names, not the collection's. PNG and JPEG
 * files are photos; every other entry (other files, symbolic links, which are never followed,
 * folders that cannot be read or lie deeper than {@link #MAX_DEPTH}) is reported once as skipped.
 */
public final class PhotoWalk {
    /** Folders deeper than this are skipped (a collection is not that deep; a loop of bind mounts would be). */
    static final int MAX_DEPTH = 64;

    /** Told about each entry. */
    public interface Visitor {
        /** A photo; {@code relative} is its path under the root, '/'-separated. */
        void photo(Path file, String relative);

        void skipped(String relative, String reason);
    }

    private PhotoWalk() {}

    /** Walks {@code root} (a folder, or one photo); fails in one line when it is neither. */
    public static void walk(Path root, Visitor visitor) {
        if (Files.isRegularFile(root, LinkOption.NOFOLLOW_LINKS)) {
            if (!isPhoto(root)) {
                throw FiltervisException.usage(root + " is not a PNG or JPEG file; give a photo or a folder of them");
            }
            visitor.photo(root, root.getFileName().toString());
            return;
        }
        if (!Files.isDirectory(root)) {
            throw FiltervisException.usage("photos " + root + " does not exist or is not a folder; give a folder of PNG or JPEG photos");
        }
        folder(root, "", 0, visitor);
    }

    private static void folder(Path dir, String prefix, int depth, Visitor visitor) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(entries::add);
        } catch (IOException | RuntimeException e) {
            if (prefix.isEmpty()) {
                throw FiltervisException.usage("cannot list " + dir + " (" + (e instanceof IOException io ? IoMessages.describe(io) : e.getMessage()) + ")");
            }
            visitor.skipped(prefix.substring(0, prefix.length() - 1), "a folder that cannot be read ("
                    + (e instanceof IOException io ? IoMessages.describe(io) : e.getMessage()) + ")");
            return;
        }
        entries.sort((a, b) -> Arrays.compareUnsigned(bytes(a), bytes(b)));
        for (Path p : entries) {
            String relative = prefix + p.getFileName();
            if (Files.isSymbolicLink(p)) {
                visitor.skipped(relative, "a symbolic link (not followed)");
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                if (depth + 1 > MAX_DEPTH) {
                    visitor.skipped(relative, "a folder deeper than " + MAX_DEPTH + " levels");
                } else {
                    folder(p, relative + "/", depth + 1, visitor);
                }
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && isPhoto(p)) {
                visitor.photo(p, relative);
            } else {
                visitor.skipped(relative, "not a PNG or JPEG file");
            }
        }
    }

    static boolean isPhoto(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g)");
    }

    private static byte[] bytes(Path p) {
        return p.getFileName().toString().getBytes(StandardCharsets.UTF_8);
    }
}
