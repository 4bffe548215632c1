package org.filtervis.spark;

import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.filtervis.core.atlas.Atlas;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.atlas.AtlasJob;

/**
 * The atlas as a Spark job: one partition per task (a chunk of one layer's filters), each
 * executor opening the backend and the model once per partition ({@link AtlasJob#render}) and
 * storing tiles whole (a temporary file, then a rename), so a retried or speculative task
 * rewrites a tile with the same bytes and can neither tear nor duplicate it. The driver only
 * sums what the tasks did; the CLI then writes the site's pages.
 */
public final class SparkAtlasEngine {
    /** The JDK packages Spark reaches into on Java 17, as its launch scripts open them. */
    public static final String OPENS = java.util.stream.Stream.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
            "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar")
            .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED").collect(java.util.stream.Collectors.joining(" "));

    private SparkAtlasEngine() {}

    /** This JVM's class path and, in the distribution, its lib/ and plugins/spark/ folders: what an executor needs. */
    static String executorClassPath() {
        java.util.List<String> parts = new java.util.ArrayList<>(java.util.List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
        String home = System.getProperty("filtervis.home");
        if (home != null) {
            parts.add(java.nio.file.Path.of(home, "lib", "*").toString());
            parts.add(java.nio.file.Path.of(home, "plugins", "spark", "*").toString());
        }
        return String.join(java.io.File.pathSeparator, parts);
    }

    /**
     * Runs the tasks on {@code master} (e.g. {@code local[2]}, {@code spark://host:7077}); returns
     * [rendered, already stored]. A task's own error (a FiltervisException on an executor) ends
     * the job as that one line; Spark's logs of the failed attempts are shown only when verbose.
     */
    public static int[] run(String master, AtlasJob job, List<Atlas.Task> tasks, boolean verbose) {
        return run(master, job, tasks, verbose, (done, total, rendered, seconds) -> {});
    }

    /**
     * As {@link #run(String, AtlasJob, List, boolean)}, telling {@code progress} as each task
     * ends (the first successful attempt of each: a retried or speculative one is not counted
     * twice); {@code rendered} counts the filters of the ended tasks.
     */
    public static int[] run(String master, AtlasJob job, List<Atlas.Task> tasks, boolean verbose, Atlas.Progress progress) {
        try (JavaSparkContext sc = new JavaSparkContext(conf(master, "filtervis atlas", verbose))) {
            sc.sc().addSparkListener(new ProgressListener(tasks, progress));
            JavaRDD<Atlas.Task> rdd = sc.parallelize(tasks, Math.max(1, tasks.size()));
            if (master.startsWith("local")) {
                return rdd.mapPartitions((Iterator<Atlas.Task> it) -> List.of(job.render(it)).iterator()).reduce(SparkAtlasEngine::sum);
            }
            // The model and the backend's plugin folder travel with the job: an executor need not see the driver's files
            // (a Keras model converted into the driver's temporary folder, say).
            try (Shipment shipped = Shipment.of(sc, job)) {
                return rdd.mapPartitions((Iterator<Atlas.Task> it) -> List.of(shipped.onExecutor(job).render(it)).iterator()).reduce(SparkAtlasEngine::sum);
            }
        } catch (Exception e) { // SparkException is checked in Java's eyes, yet thrown undeclared from Scala
            FiltervisException ours = taskError(e);
            if (ours != null) {
                throw ours;
            }
            throw e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e.getMessage(), e);
        }
    }

    /** A job's configuration on {@code master}: quiet, no UI, 4 attempts a task; executors on a cluster run the same distribution. */
    static SparkConf conf(String master, String name, boolean verbose) {
        SparkConf conf = new SparkConf().setMaster(master).setAppName(name).set("spark.ui.showConsoleProgress", "false")
                .setIfMissing("spark.ui.enabled", "false").setIfMissing("spark.task.maxFailures", "4");
        quietLogs(verbose);
        boolean submitted = conf.contains("spark.submit.deployMode"); // spark-submit ships the application jar itself
        if (master.startsWith("local")) {
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        } else if (!submitted) {
            // Executors on a cluster run filtervis from the same distribution path (a shared file system, or the same install on
            // every node), with the JDK packages Spark needs opened; settings given with --conf-style system properties win.
            conf.setIfMissing("spark.executor.extraClassPath", executorClassPath());
            conf.setIfMissing("spark.executor.extraJavaOptions", OPENS);
        }
        return conf;
    }

    /** Counts the filters of ended tasks, on the driver (the listener bus delivers every event before the context stops). */
    private static final class ProgressListener extends SparkListener {
        private final int[] sizes;
        private final int total;
        private final Set<Integer> ended = ConcurrentHashMap.newKeySet();
        private final AtomicInteger done = new AtomicInteger();
        private final Atlas.Progress progress;
        private final long t0 = System.nanoTime();

        ProgressListener(List<Atlas.Task> tasks, Atlas.Progress progress) {
            this.sizes = tasks.stream().mapToInt(t -> t.filters().size()).toArray();
            this.total = java.util.Arrays.stream(sizes).sum();
            this.progress = progress;
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            int index = end.taskInfo().index();
            if (end.taskInfo().successful() && index < sizes.length && ended.add(index)) {
                int d = done.addAndGet(sizes[index]);
                progress.filtersDone(d, total, d, (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    private static int[] sum(int[] a, int[] b) {
        return new int[] {a[0] + b[0], a[1] + b[1]};
    }

    /**
     * The FiltervisException a task threw, from a failed job's exception: its cause where Spark
     * could send the exception back, else its "FiltervisException: ..." line in Spark's message.
     */
    static FiltervisException taskError(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof FiltervisException) {
                return (FiltervisException) t;
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            Matcher m = TASK_ERROR.matcher(String.valueOf(t.getMessage()));
            if (m.find()) {
                return FiltervisException.failure(m.group(1).strip(), failure);
            }
        }
        return null;
    }

    private static final Pattern TASK_ERROR = Pattern.compile("FiltervisException: ([^\\n]+)");

    /**
     * Spark's own logging at ERROR, and without the executors' and scheduler's reports of failed
     * task attempts (a stack trace each, four times over), which the job's error says in one
     * line; at WARN with --verbose. This matters where Spark logs through log4j (spark-submit);
     * the distribution's class path binds SLF4J to its no-op provider, so Spark is silent there.
     */
    static void quietLogs(boolean verbose) {
        Configurator.setLevel("org.apache.spark", verbose ? Level.WARN : Level.ERROR);
        Configurator.setLevel("org.sparkproject", verbose ? Level.WARN : Level.ERROR);
        Configurator.setLevel("org.apache.hadoop", verbose ? Level.WARN : Level.ERROR);
        Level failures = verbose ? Level.WARN : Level.OFF;
        Configurator.setLevel("org.apache.spark.executor.Executor", failures);
        Configurator.setLevel("org.apache.spark.scheduler.TaskSetManager", failures);
        Configurator.setLevel("org.apache.spark.scheduler.TaskSchedulerImpl", verbose ? Level.WARN : Level.ERROR);
    }
}
