package org.filtervis.spark;

import java.util.List;
import java.util.Optional;
import org.filtervis.core.atlas.Atlas;
import org.filtervis.core.atlas.AtlasEngine;
import org.filtervis.core.atlas.AtlasJob;
import org.filtervis.core.atlas.SiteFiles;

/**
 * The Spark engine as a plugin ({@code --engine spark}): found by {@code ServiceLoader}, cheap to
 * create; Spark and Hadoop load only when a job runs or a Hadoop site is opened.
 */
public final class SparkEngine implements AtlasEngine, org.filtervis.core.photos.ExamplesEngine {
    @Override
    public String name() {
        return "spark";
    }

    /** The master: as given; else spark-submit's (the spark.master property); else local[N] with N the cores. */
    static String master(String given) {
        return given != null ? given : System.getProperty("spark.master", "local[" + Runtime.getRuntime().availableProcessors() + "]");
    }

    @Override
    public void checkMaster(String master) {
        if (master != null) {
            SparkMasters.check(master);
        }
    }

    @Override
    public void checkReachable(String master) {
        SparkMasters.reachable(master(master));
    }

    @Override
    public String where(String master) {
        return "Spark (" + master(master) + ")";
    }

    @Override
    public Counts run(AtlasJob job, List<Atlas.Task> tasks, String master, boolean verbose, Atlas.Progress progress) {
        int[] r = SparkAtlasEngine.run(master(master), job, tasks, verbose, progress);
        return new Counts(r[0], r[1]);
    }

    @Override
    public org.filtervis.core.photos.ExamplesJob.Result scan(org.filtervis.core.photos.ExamplesJob job, org.filtervis.core.photos.ExamplesJob.Work work,
            List<org.filtervis.core.photos.ScanParts.Chunk> chunks, String master, boolean verbose) {
        return SparkExamplesEngine.run(master(master), work, chunks, verbose);
    }

    /** Photo collections on any file system Hadoop reaches. */
    @Override
    public Optional<org.filtervis.core.photos.PhotoSource> photos(String uri) {
        return Optional.of(HadoopPhotos.open(uri));
    }

    /** Sites on any file system Hadoop reaches (hdfs://, s3a://, ...); file:// and plain folders are the host's. */
    @Override
    public Optional<SiteFiles> site(String uri) {
        return Optional.of(HadoopSiteFiles.open(uri));
    }
}
