package org.filtervis.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.filtervis.core.photos.ExamplesJob;

/**
 * The dataset-examples scan as a Spark job: the photos' paths split into partitions, each
 * executor opening the backend and the model once per partition and scanning its photos into
 * heaps of its own ({@link ExamplesJob.Work#scan}); the parts merge in a tree on the way to the
 * driver ({@link ExamplesJob#merge}), which gives the one scan's result whatever the split. The
 * collection, the model and the plugins are read from the same paths on every executor (one
 * machine, or a shared file system).
 */
final class SparkExamplesEngine {
    /** Photos per partition: enough to fill several batches, small enough for a retried task to cost little. */
    static final int PER_PARTITION = 256;

    private SparkExamplesEngine() {}

    static ExamplesJob.Result run(String master, ExamplesJob.Work work, List<String> photos, boolean verbose) {
        try (JavaSparkContext sc = new JavaSparkContext(SparkAtlasEngine.conf(master, "filtervis examples", verbose))) {
            int partitions = Math.max(Math.max(1, sc.defaultParallelism()), (photos.size() + PER_PARTITION - 1) / PER_PARTITION);
            return sc.parallelize(new ArrayList<>(photos), partitions)
                    .mapPartitions((Iterator<String> it) -> List.of(work.scan(it)).iterator())
                    .treeReduce(ExamplesJob::merge);
        } catch (Exception e) { // SparkException is checked in Java's eyes, yet thrown undeclared from Scala
            org.filtervis.api.FiltervisException ours = SparkAtlasEngine.taskError(e);
            if (ours != null) {
                throw ours;
            }
            throw e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e.getMessage(), e);
        }
    }
}
