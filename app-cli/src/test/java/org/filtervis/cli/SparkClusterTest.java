package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import org.filtervis.models.ModelFiles;
import org.filtervis.spark.SparkTestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The atlas on a real Spark standalone cluster started here on 127.0.0.1: a Master and two
 * Workers in JVMs of their own. Its tiles are byte-identical to the local engine's, and an
 * executor killed in the middle of a job still leaves every tile whole (Spark retries its tasks).
 * Runs with -Dfiltervis.sparkCluster=true (as .ci/run sets it): it starts five JVMs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparkClusterTest {
    @TempDir
    static Path dir;

    SparkTestCluster cluster;
    String master;

    @BeforeAll
    void startCluster() throws Exception {
        assumeTrue(Boolean.getBoolean("filtervis.sparkCluster"), "set -Dfiltervis.sparkCluster=true (as .ci/run does) to start a Spark cluster");
        cluster = new SparkTestCluster(dir, System.getProperty("java.class.path"), List.of(), 2);
        master = cluster.master();
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    Cli atlas(Path out, String... more) {
        return atlas(out, 6, more);
    }

    Cli atlas(Path out, int steps, String... more) {
        List<String> args = new ArrayList<>(List.of("atlas", "--model", ModelFiles.demoNetwork().toString(), "--size", "40", "--steps", String.valueOf(steps),
                "--filters", "0-7", "--batch", "4", "--threads", "1", "--quiet", "--out", out.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    static List<Path> tiles(Path site) throws IOException {
        try (var s = Files.walk(site.resolve("tiles"))) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    static void sameTiles(Path a, Path b) throws IOException {
        List<Path> x = tiles(a);
        List<Path> y = tiles(b);
        assertEquals(x.size(), y.size());
        for (int i = 0; i < x.size(); i++) {
            assertEquals(a.relativize(x.get(i)), b.relativize(y.get(i)));
            assertArrayEquals(Files.readAllBytes(x.get(i)), Files.readAllBytes(y.get(i)), y.get(i).toString());
            assertNotNull(ImageIO.read(y.get(i).toFile()), "a whole PNG: " + y.get(i));
        }
    }

    @Test
    void clusterTilesEqualTheLocalEngines() throws IOException {
        Path local = dir.resolve("local");
        Path spark = dir.resolve("cluster");
        assertEquals(0, atlas(local).code());
        Cli r = atlas(spark, "--engine", "spark", "--master", master);
        assertEquals(0, r.code(), r.err());
        assertEquals(24, tiles(spark).size(), "3 layers x 8 filters");
        sameTiles(local, spark);
    }

    @Test
    void aTaskFailingOnAnExecutorEndsTheJobInOneLine() throws Exception {
        // The executors are JVMs the workers started: the error comes back from another process, after Spark's retries.
        Cli r = SparkTaskFailureProbe.inJvm(master, dir.resolve("probe"));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no Spark logs:\n" + r.err());
        assertTrue(r.err().startsWith("filtervis: unknown layer 'no_such_layer'"), r.err());
    }

    @Test
    void aKilledExecutorLeavesEveryTileWhole() throws Exception {
        Path local = dir.resolve("local-seed3");
        Path spark = dir.resolve("cluster-killed");
        assertEquals(0, atlas(local, 150, "--seed", "3").code());
        AtomicBoolean killed = new AtomicBoolean();
        Thread killer = killFirstExecutorOnce(spark, p -> p.toString().endsWith(".json") && p.toString().contains("tiles"), killed);
        Cli r = atlas(spark, 150, "--engine", "spark", "--master", master, "--seed", "3");
        killer.interrupt();
        killer.join();
        assertEquals(0, r.code(), r.err());
        assertTrue(killed.get(), "an executor was killed during the job");
        sameTiles(local, spark);
    }

    /**
     * Dataset examples on the cluster: the same examples.json as the local engine's, byte for
     * byte, with an executor killed in the middle of the scan (Spark reruns its partitions).
     */
    @Test
    void examplesOnTheClusterEqualTheLocalScanWithAnExecutorKilled() throws Exception {
        Path photos = dir.resolve("photos");
        TestPhotos.stripes(photos, 1100, 64, 56, k -> "d" + k % 7 + "/p" + k + ".png");
        List<String> args = List.of("examples", "--model", ModelFiles.demoNetwork().toString(), "--layers", "gabor_relu,conv3_relu", "--images",
                photos.toString(), "--size", "64", "--top", "4", "--bottom", "2", "--batch", "8", "--threads", "1", "--quiet");
        List<String> local = new ArrayList<>(args);
        local.addAll(List.of("--out", dir.resolve("ex-local").toString()));
        assertEquals(0, Cli.run(local.toArray(String[]::new)).code());
        AtomicBoolean killed = new AtomicBoolean();
        // The first of five partitions is stored: the kill lands while the others run.
        Thread killer = killFirstExecutorOnce(dir.resolve("ex-cluster/.parts"), p -> p.toString().endsWith(".part"), killed);
        List<String> spark = new ArrayList<>(args);
        spark.addAll(List.of("--engine", "spark", "--master", master, "--out", dir.resolve("ex-cluster").toString()));
        Cli r = Cli.run(spark.toArray(String[]::new));
        killer.interrupt();
        killer.join();
        assertEquals(0, r.code(), r.err());
        assertTrue(killed.get(), "an executor was killed during the scan");
        assertArrayEquals(Files.readAllBytes(dir.resolve("ex-local/examples.json")), Files.readAllBytes(dir.resolve("ex-cluster/examples.json")),
                "the cluster's examples.json as the local engine's");
    }

    /**
     * A started thread that, once a file under {@code folder} matches {@code started} (the job is
     * under way), kills the first worker's executor (a JVM the worker started) and sets {@code killed}.
     */
    Thread killFirstExecutorOnce(Path folder, java.util.function.Predicate<Path> started, AtomicBoolean killed) {
        Thread killer = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!killed.get() && System.nanoTime() < deadline) {
                boolean running;
                try (var s = Files.walk(folder)) {
                    running = s.anyMatch(started);
                } catch (IOException | java.io.UncheckedIOException e) {
                    running = false;
                }
                if (running) {
                    cluster.worker(0).descendants().findFirst().ifPresent(h -> killed.set(h.destroyForcibly()));
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        killer.start();
        return killer;
    }
}
