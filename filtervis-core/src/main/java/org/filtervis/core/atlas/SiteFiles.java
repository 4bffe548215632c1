package org.filtervis.core.atlas;

import java.io.IOException;
import java.io.Serializable;

/**
 * Where the atlas's site lives: a local folder ({@link LocalSiteFiles}) or any Hadoop-compatible
 * path (HDFS, S3A, ...; engine-spark's HadoopSiteFiles). Paths are relative to the site, with
 * '/' between names. It travels to the engine's workers, so it is Serializable: each worker
 * opens its own connection.
 */
public interface SiteFiles extends Serializable {
    /** Whether the file is there. */
    boolean exists(String path) throws IOException;

    /** The file's bytes, or null when it is missing or larger than {@code maxBytes}. */
    byte[] read(String path, int maxBytes) throws IOException;

    /**
     * Writes the file whole: a reader sees the old file, the new one or none, never a part; two
     * writers of the same file at once (a retried or speculative task) leave one whole copy.
     */
    void write(String path, byte[] bytes) throws IOException;

    /** The site's location, for messages: a folder or a URI. */
    String location();

    /** Where {@code path} is, for messages. */
    default String location(String path) {
        return location().replaceAll("/+$", "") + "/" + path;
    }
}
