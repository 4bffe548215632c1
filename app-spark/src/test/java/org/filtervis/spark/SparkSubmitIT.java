package org.filtervis.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.filtervis.models.ModelFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/atlas.md's spark-submit recipe, run: the assembled jar (target/filtervis-spark.jar) handed
 * to Spark's own SparkSubmit, against a standalone cluster whose Master, Workers and executors
 * have only Spark's jars; filtervis, its onnx backend and the model reach the executors with the
 * job, and the site goes to HDFS (Hadoop's MiniDFSCluster). The tiles are byte-identical to the
 * same jar's local engine. Runs after the jar is built
 * (mvn verify), with -Dfiltervis.sparkCluster=true as .ci/run sets it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparkSubmitIT {
    @TempDir
    static Path dir;

    SparkTestCluster cluster;
    MiniDFSCluster hdfs;

    @BeforeAll
    void startCluster() throws Exception {
        assumeTrue(Boolean.getBoolean("filtervis.sparkCluster"), "set -Dfiltervis.sparkCluster=true (as .ci/run does) to start a Spark cluster");
        cluster = new SparkTestCluster(Files.createDirectories(dir.resolve("cluster")), sparkClassPath(), sparkJars(), 2);
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        hdfs.waitActive();
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    /** Spark's jars alone: what a cluster's installation has (engine-spark's folder, less our own jar). */
    static List<Path> sparkJars() throws IOException {
        try (Stream<Path> jars = Files.list(Path.of(System.getProperty("filtervis.sparkJars")))) {
            return jars.filter(p -> p.toString().endsWith(".jar") && !p.getFileName().toString().startsWith("engine-spark")).sorted().toList();
        }
    }

    static String sparkClassPath() throws IOException {
        return sparkJars().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }

    record Run(int code, String output) {}

    Run java(String classPath, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g"));
        cmd.addAll(List.of(SparkAtlasEngine.OPENS.split(" "))); // as Spark's launch scripts open them
        cmd.addAll(List.of("-cp", classPath));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    Run run(List<String> cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "run", ".log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("no end within 10 minutes: " + String.join(" ", cmd) + "\n" + Files.readString(log));
        }
        return new Run(p.exitValue(), Files.readString(log));
    }

    static List<Path> tiles(Path site) throws IOException {
        try (Stream<Path> s = Files.walk(site.resolve("tiles"))) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    static void sameTiles(Path local, Path other) throws IOException {
        List<Path> a = tiles(local);
        List<Path> b = tiles(other);
        assertEquals(36, a.size(), "3 layers x 6 filters, a .png and a .json each");
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(local.relativize(a.get(i)), other.relativize(b.get(i)));
            assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), b.get(i).toString());
        }
        assertTrue(Files.readString(other.resolve("index.html")).contains("18 of 18 filters rendered"));
    }

    /** Whether an executor's work folder holds {@code backend}'s plugin jar, unpacked from an archive the job sent. */
    boolean shipped(String backend) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("cluster"))) {
            return files.anyMatch(p -> p.toString().matches(".*/work\\d/app-[^/]+/\\d+/filtervis-plugins-[^/]+/" + backend + "/backend-" + backend + "-[^/]+\\.jar"));
        }
    }

    static final List<String> ATLAS = List.of("atlas", "--size", "40", "--steps", "6", "--filters", "0-5", "--batch", "3", "--threads", "1");

    static String jar() {
        String jar = System.getProperty("filtervis.sparkJar");
        assertTrue(Files.isRegularFile(Path.of(jar)), jar);
        return jar;
    }

    /** {@code filtervis ARGS --out OUT} from the jar alone (no Spark on its class path), which must succeed. */
    Run jarAlone(List<String> args, String out) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("org.filtervis.cli.Filtervis"));
        all.addAll(args);
        all.addAll(List.of("--out", out));
        Run r = java(jar(), all.toArray(String[]::new));
        assertEquals(0, r.code(), r.output());
        return r;
    }

    /** The jar through Spark's own SparkSubmit, as bin/spark-submit runs it, with Spark's jars alone on its class path; it must succeed. */
    Run submitted(List<String> args, String out) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("org.apache.spark.deploy.SparkSubmit", "--master", cluster.master(), "--deploy-mode", "client",
                "--class", "org.filtervis.cli.Filtervis", "--conf", "spark.executor.memory=1g", jar()));
        all.addAll(args);
        all.addAll(List.of("--engine", "spark", "--out", out));
        Run r = java(sparkClassPath(), all.toArray(String[]::new));
        assertEquals(0, r.code(), r.output());
        return r;
    }

    @Test
    void theAssembledJarRunsTheAtlasThroughSparkSubmit() throws Exception {
        Path model = Files.copy(ModelFiles.demoNetwork(), dir.resolve("demo.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<String> atlas = new ArrayList<>(ATLAS);
        atlas.addAll(List.of("--model", model.toString()));
        jarAlone(atlas, dir.resolve("local").toString()); // the reference
        // The site on HDFS, as on a cluster: written by the executors (JVMs of their own) and the driver.
        String site = "hdfs://127.0.0.1:" + hdfs.getNameNodePort() + "/atlas/submitted";
        Run r = submitted(atlas, site);
        assertTrue(r.output().contains("18 filters in 6 tasks on Spark (" + cluster.master() + ")"), r.output());
        assertTrue(r.output().contains("18 filters: 18 rendered"), r.output());
        FileSystem fs = hdfs.getFileSystem();
        fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(site), new org.apache.hadoop.fs.Path(dir.resolve("submitted").toUri()), true); // raw: no .crc files
        try (Stream<Path> all = Files.walk(dir.resolve("submitted"))) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no temporary file left on HDFS");
        }
        sameTiles(dir.resolve("local"), dir.resolve("submitted"));
    }

    /**
     * A backend that is not in the jar (tf, from the distribution's plugin folder) given with
     * --plugins: the driver loads it from there, and the executors, which have only Spark and the
     * jar, get the folder with the job. Its tiles are byte-identical to the jar's local run.
     */
    @Test
    void aPluginBackendTravelsWithASubmittedJob() throws Exception {
        Path tf = Path.of(System.getProperty("filtervis.distribution"), "plugins", "tf");
        assertTrue(Files.isDirectory(tf), tf + " (built by app-cli's package)");
        // A plugins folder with tf alone (the onnx backend is in the jar already; two named onnx are refused).
        Path plugins = Files.createDirectories(dir.resolve("plugins/tf"));
        try (Stream<Path> jars = Files.list(tf)) {
            for (Path j : (Iterable<Path>) jars::iterator) {
                Files.createSymbolicLink(plugins.resolve(j.getFileName()), j.toAbsolutePath());
            }
        }
        Path model = Files.copy(ModelFiles.demoNetwork(), dir.resolve("demo.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<String> atlas = new ArrayList<>(ATLAS);
        atlas.addAll(List.of("--plugins", plugins.getParent().toString(), "--backend", "tf", "--model", model.toString()));
        jarAlone(atlas, dir.resolve("tf-local").toString());
        submitted(atlas, dir.resolve("tf-submitted").toString());
        sameTiles(dir.resolve("tf-local"), dir.resolve("tf-submitted"));
        assertTrue(Files.readString(dir.resolve("tf-submitted/index.html")).contains("backend: tf"), "rendered by tf");
        assertTrue(shipped("tf"), "the executors got the tf plugin folder from the job");
    }

    /**
     * The distribution's own launcher with --master spark://: the executors run filtervis from the
     * distribution's lib/ and engines/spark/ (the same path on this one machine, as on a shared
     * install), and get the onnx backend only as the plugin folder the job sends them.
     */
    @Test
    void theDistributionRunsTheAtlasOnTheCluster() throws Exception {
        Path launcher = Path.of(System.getProperty("filtervis.distribution"), "bin", "filtervis");
        assertTrue(Files.isExecutable(launcher), launcher + " (built by app-cli's package)");
        Path model = Files.copy(ModelFiles.demoNetwork(), dir.resolve("demo.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<String> local = new ArrayList<>(List.of(launcher.toString()));
        local.addAll(ATLAS);
        local.addAll(List.of("--model", model.toString(), "--out", dir.resolve("dist-local").toString()));
        Run reference = run(local);
        assertEquals(0, reference.code(), reference.output());
        List<String> spark = new ArrayList<>(List.of(launcher.toString()));
        spark.addAll(ATLAS);
        spark.addAll(List.of("--model", model.toString(), "--engine", "spark", "--master", cluster.master(), "--out", dir.resolve("dist-cluster").toString()));
        Run r = run(spark);
        assertEquals(0, r.code(), r.output());
        sameTiles(dir.resolve("dist-local"), dir.resolve("dist-cluster"));
        assertTrue(shipped("onnx"), "the executors got the onnx plugin folder from the job");
    }
}
