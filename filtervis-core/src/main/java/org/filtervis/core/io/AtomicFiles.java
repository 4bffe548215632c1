package org.filtervis.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that readers see all of it or nothing: into a hidden temporary file beside
 * it, then an atomic rename. An interrupted run leaves no partial file: the temporary file is
 * deleted on the way out.
 */
public final class AtomicFiles {
    /** Writes a file's content to the stream it is given. */
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {}

    public static void write(Path target, Writer writer) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".part");
        tmp.toFile().deleteOnExit();
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writer.write(out);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
