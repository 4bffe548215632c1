package org.filtervis.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.filtervis.core.photos.ExamplesJob;
import org.filtervis.core.photos.ScanParts;

/**
 * The dataset-examples scan as a Spark job: the photos' paths split into partitions, each
 * executor opening the backend and the model once per partition, scanning its photos into heaps
 * of its own and storing the partition's result for a rerun ({@link ExamplesJob.Work#scan}); the parts merge in a tree on the way to the
 * driver ({@link ExamplesJob#merge}), which gives the one scan's result whatever the split. The
 * collection, the model and the plugins are read from the same paths on every executor (one
 * machine, or a shared file system).
 */
final class SparkExamplesEngine {
    private SparkExamplesEngine() {}

    static ExamplesJob.Result run(String master, ExamplesJob.Work work, List<ScanParts.Chunk> chunks, boolean verbose) {
        try (JavaSparkContext sc = new JavaSparkContext(SparkAtlasEngine.conf(master, "filtervis examples", verbose))) {
            // One partition per chunk: its result is stored whole by the executor that scanned it, for a rerun to reuse.
            return sc.parallelize(new ArrayList<>(chunks), chunks.size())
                    .mapPartitions((Iterator<ScanParts.Chunk> it) -> {
                        List<ExamplesJob.Result> out = new ArrayList<>();
                        while (it.hasNext()) {
                            ScanParts.Chunk c = it.next();
                            ExamplesJob.Result r = work.scan(c.photos().iterator());
                            work.parts().save(c, r);
                            out.add(r);
                        }
                        return out.iterator();
                    })
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
