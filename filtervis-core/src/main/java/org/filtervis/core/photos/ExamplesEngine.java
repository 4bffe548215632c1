package org.filtervis.core.photos;

import java.util.List;

/**
 * Where a dataset-examples scan runs when it does not run in this process: a plugin found with
 * {@code ServiceLoader}, as the atlas's engines are (the Spark engine is both). Each worker scans
 * its share of the photos with heaps of its own ({@link ExamplesJob#scanPart}); the parts merge
 * into the same result as one scan ({@link ExamplesJob#merge}), whatever the split.
 */
public interface ExamplesEngine {
    /** The name {@code --engine} takes. */
    String name();

    /** A collection at {@code uri} (hdfs://, s3a://...) on a file system this engine's libraries reach, or empty if it reaches none. */
    default java.util.Optional<PhotoSource> photos(String uri) {
        return java.util.Optional.empty();
    }

    /** Fails with a usage error when {@code master} (not null) is not a cluster this engine can name; called before any work. */
    default void checkMaster(String master) {}

    /**
     * Scans {@code chunks} (each a partition of photos, paths under the job's collection, which
     * every worker reads) on {@code master} (null: the engine's default), each worker storing its
     * chunk's result in {@code work.parts()} ({@link ScanParts#save}); returns their merge. A
     * worker's own error ends the scan as that one line.
     */
    ExamplesJob.Result scan(ExamplesJob job, ExamplesJob.Work work, List<ScanParts.Chunk> chunks, String master, boolean verbose);
}
