package org.filtervis.spark;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1 for tests: a Master and Workers, each a JVM of
 * its own, run from {@code classPath} (Spark's jars, and whatever else the test's executors
 * should see). Closing it kills them and the executors they started.
 */
public final class SparkTestCluster implements AutoCloseable {
    private final Path dir;
    private final String classPath;
    private final List<Process> processes = new ArrayList<>();
    private final String master;

    /**
     * Starts a Master and {@code workers} Workers of one core each, and waits until all have
     * registered (90 s at most). {@code sparkHomeJars} go into the Spark home's jars folder, which
     * is what a Worker puts on its executors' class path (empty: the job must bring Spark itself).
     */
    public SparkTestCluster(Path dir, String classPath, List<Path> sparkHomeJars, int workers) throws IOException, InterruptedException {
        this.dir = dir;
        this.classPath = classPath;
        Files.createDirectories(sparkHome().resolve("jars"));
        for (Path jar : sparkHomeJars) {
            Files.createSymbolicLink(sparkHome().resolve("jars").resolve(jar.getFileName()), jar.toAbsolutePath());
        }
        int port = freePort();
        int ui = freePort();
        master = "spark://127.0.0.1:" + port;
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(ui));
        for (int w = 0; w < workers; w++) {
            Path work = Files.createDirectories(dir.resolve("work" + w));
            start("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "2g", "--webui-port",
                    String.valueOf(freePort()), "--work-dir", work.toString(), master);
        }
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/")).build(), HttpResponse.BodyHandlers.ofString())
                        .body();
                if (json.replaceAll("\\s", "").contains("\"aliveworkers\":" + workers)) {
                    break;
                }
            } catch (IOException e) {
                // not up yet
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("the Spark cluster did not come up with " + workers + " workers within 90 s; see the logs in " + dir);
            }
            Thread.sleep(500);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The Master's URL, spark://127.0.0.1:PORT. */
    public String master() {
        return master;
    }

    /** The Spark home the Workers use: what a worker needs to launch executors (a RELEASE file, a jars folder). */
    public Path sparkHome() {
        return dir.resolve("spark-home");
    }

    /** Worker {@code w}'s JVM (its executors are its descendants). */
    public Process worker(int w) {
        return processes.get(1 + w);
    }

    private void start(String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        cmd.addAll(List.of(SparkAtlasEngine.OPENS.split(" ")));
        cmd.addAll(List.of("-cp", classPath));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        // The Scala version the jars were built for: a Worker would otherwise look for it in a Spark distribution's layout.
        Files.createDirectories(sparkHome().resolve("jars"));
        if (!Files.exists(sparkHome().resolve("RELEASE"))) {
            Files.writeString(sparkHome().resolve("RELEASE"), "Spark 3.5.9 (a test's class path)\n");
        }
        pb.environment().put("SPARK_HOME", sparkHome().toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.12");
        processes.add(pb.start());
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
