package org.filtervis.core.photos;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.filtervis.core.io.UntrustedFiles;

/**
 * Where a photo collection lives, as a value that travels to a scan's workers: a local folder (or
 * one photo), or a Hadoop file system an engine reaches (hdfs://, s3a://). Photos are named by
 * their path under the collection, '/'-separated.
 */
public interface PhotoSource extends Serializable {
    /** Tells {@code visitor} every photo and every skipped entry (the file argument is null where the collection is not local). */
    void walk(PhotoWalk.Visitor visitor);

    /** A photo's bytes, bounded; a one-line usage error when it cannot be read. */
    byte[] read(String relative);

    /** How errors and notes name the collection. */
    String describe();

    /** A local folder (walked by {@link PhotoWalk}) or one photo. */
    static PhotoSource local(Path root) {
        return new Local(root.toAbsolutePath().normalize().toString());
    }

    /** A local collection; its root kept as a String, which travels. */
    record Local(String root) implements PhotoSource {
        @Override
        public void walk(PhotoWalk.Visitor visitor) {
            PhotoWalk.walk(Path.of(root), visitor);
        }

        @Override
        public byte[] read(String relative) {
            Path r = Path.of(root);
            Path file = Files.isDirectory(r, LinkOption.NOFOLLOW_LINKS) ? r.resolve(relative) : r;
            try {
                return UntrustedFiles.read(file, "image", Photos.MAX_FILE_BYTES);
            } catch (org.filtervis.api.FiltervisException e) {
                // Named by its path under the collection, as everywhere in a scan's output.
                throw org.filtervis.api.FiltervisException.usage(e.getMessage().replace(file.toString(), relative));
            }
        }

        @Override
        public String describe() {
            return root;
        }
    }
}
