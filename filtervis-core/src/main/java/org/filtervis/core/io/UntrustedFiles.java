package org.filtervis.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.filtervis.api.FiltervisException;

/**
 * Reading a file a user names (labels, .npy batches, direction vectors): regular files only (a
 * FIFO would block for ever, {@code /dev/zero} never ends) and never more than a stated number of
 * bytes, whatever the file system says its size is.
 */
public final class UntrustedFiles {
    private UntrustedFiles() {}

    /**
     * The whole file, or a one-line usage error naming {@code what} (e.g. "labels file") and the fix.
     *
     * @param maxBytes the most this kind of file may hold
     */
    public static byte[] read(Path file, String what, long maxBytes) {
        requireRegular(file, what);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 64, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw FiltervisException.usage(what + " " + file + " is larger than " + human(maxBytes) + "; give a smaller file");
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw FiltervisException.usage(what + " " + file + " does not exist");
        } catch (IOException e) {
            throw FiltervisException.usage("cannot read " + what + " " + file + " (" + IoMessages.describe(e) + ")");
        }
    }

    /** Fails in one line unless {@code file} is a regular file (symbolic links followed): not a folder, device or FIFO. */
    public static void requireRegular(Path file, String what) {
        if (!Files.exists(file)) {
            throw FiltervisException.usage(what + " " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            String kind = Files.isDirectory(file) ? "a folder" : "not a regular file (a device, FIFO or socket)";
            throw FiltervisException.usage(what + " " + file + " is " + kind + "; give a regular file");
        }
    }

    static String human(long bytes) {
        return bytes >= 1_000_000 ? String.format(Locale.ROOT, "%d MB", bytes / 1_000_000) : bytes + " bytes";
    }
}
