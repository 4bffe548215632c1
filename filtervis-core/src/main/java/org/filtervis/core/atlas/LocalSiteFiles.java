package org.filtervis.core.atlas;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The site in a local (or shared, mounted) folder. Each write goes to a temporary file of its
 * own beside the target, then an atomic rename over it: concurrent writers of one tile never
 * share a temporary file, and a reader never sees a part.
 */
public final class LocalSiteFiles implements SiteFiles {
    private static final long serialVersionUID = 1L;
    private final String root; // a String, not a Path: it is sent to workers

    public LocalSiteFiles(Path root) {
        this.root = root.toAbsolutePath().normalize().toString();
    }

    /** The site's folder. */
    public Path folder() {
        return Path.of(root);
    }

    private Path resolve(String path) {
        return Path.of(root).resolve(path);
    }

    @Override
    public boolean exists(String path) {
        return Files.isRegularFile(resolve(path));
    }

    @Override
    public byte[] read(String path, int maxBytes) throws IOException {
        Path p = resolve(path);
        if (!Files.isRegularFile(p) || Files.size(p) > maxBytes) {
            return null;
        }
        return Files.readAllBytes(p);
    }

    @Override
    public void write(String path, byte[] bytes) throws IOException {
        Path target = resolve(path);
        Path dir = Files.createDirectories(target.getParent());
        // Not Files.createTempFile: its owner-only permissions would hide the page from a web server.
        Path tmp = dir.resolve("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".part");
        try {
            Files.write(tmp, bytes, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public String location() {
        return root;
    }
}
