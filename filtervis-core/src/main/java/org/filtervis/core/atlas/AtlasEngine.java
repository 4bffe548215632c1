package org.filtervis.core.atlas;

import java.util.List;
import java.util.Optional;

/**
 * Where an atlas runs when it does not run in this process: a plugin found with
 * {@code ServiceLoader} on the class path or in a plugin folder (the Spark engine is
 * {@code plugins/spark/}), as backends are. Creating one must be cheap (no framework is loaded
 * until {@link #run} or {@link #site}); every call is made with the engine's class loader as the
 * thread's context class loader.
 */
public interface AtlasEngine {
    /** The name {@code --engine} takes. */
    String name();

    /** What the engine ran: the filters of the tasks it rendered, and those it found stored. */
    record Counts(int rendered, int alreadyStored) {}

    /**
     * Runs {@code tasks} of {@code job} where the engine runs them; {@code master} names the
     * cluster (null: the engine's default), {@code verbose} shows the engine's own logs of failed
     * attempts. {@code progress} is told as tasks end. A task's own error ends the run as that
     * one-line error.
     */
    Counts run(AtlasJob job, List<Atlas.Task> tasks, String master, boolean verbose, Atlas.Progress progress);

    /** Fails with a usage error when {@code master} (not null) is not a cluster this engine can name; called before any work. */
    default void checkMaster(String master) {}

    /** Fails in one line when the cluster {@code master} (null: the default) cannot be reached; called before the site is started. */
    default void checkReachable(String master) {}

    /** How progress lines name where the tasks run, e.g. {@code Spark (local[2])}. */
    default String where(String master) {
        return name() + (master == null ? "" : " (" + master + ")");
    }

    /** The site at {@code uri} on a file system this engine's libraries reach (hdfs://, s3a://...), or empty if it reaches none. */
    default Optional<SiteFiles> site(String uri) {
        return Optional.empty();
    }
}
