package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.filtervis.models.ModelFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The atlas written to a real HDFS (a NameNode and a DataNode started here, Hadoop's own
 * MiniDFSCluster): by the local engine and by Spark local[2], tiles byte-identical to a local
 * folder's, the pages there, no temporary files left, a rerun that renders only what is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HdfsAtlasTest {
    @TempDir
    static Path dir;

    TestHdfs hdfs;
    FileSystem fs;
    String root;

    @BeforeAll
    void startHdfs() throws IOException {
        hdfs = new TestHdfs(dir);
        fs = hdfs.fs();
        root = hdfs.root;
    }

    @AfterAll
    void stopHdfs() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    static Cli atlas(String out, String... more) {
        List<String> args = new ArrayList<>(List.of("atlas", "--model", ModelFiles.demoNetwork().toString(), "--size", "40", "--steps", "5",
                "--filters", "0-5", "--batch", "4", "--threads", "1", "--out", out));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    /** Every file under an HDFS folder, relative to it. */
    List<String> files(String site) throws IOException {
        List<String> out = new ArrayList<>();
        org.apache.hadoop.fs.Path base = new org.apache.hadoop.fs.Path(site);
        String prefix = fs.getFileStatus(base).getPath().toUri().getPath() + "/";
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(base, true);
        while (it.hasNext()) {
            out.add(it.next().getPath().toUri().getPath().substring(prefix.length()));
        }
        return out.stream().sorted().toList();
    }

    byte[] read(String site, String file) throws IOException {
        try (var in = fs.open(new org.apache.hadoop.fs.Path(site + "/" + file))) {
            return in.readAllBytes();
        }
    }

    void sameAsLocalFolder(Path local, String site) throws IOException {
        List<String> tiles = files(site).stream().filter(f -> f.startsWith("tiles/")).toList();
        assertEquals(36, tiles.size(), "3 layers x 6 filters, a .png and a .json each: " + tiles);
        for (String t : tiles) {
            assertArrayEquals(Files.readAllBytes(local.resolve(t)), read(site, t), t);
        }
        assertFalse(files(site).stream().anyMatch(f -> f.endsWith(".part")), "no temporary file left: " + files(site));
        String index = new String(read(site, "index.html"), StandardCharsets.UTF_8);
        assertTrue(index.contains("18 of 18 filters rendered"), index);
        assertTrue(files(site).containsAll(List.of("layers/conv2_relu.html", "filters/conv3_relu/5.html")), files(site).toString());
    }

    @Test
    void bothEnginesWriteTheSameSiteToHdfs() throws IOException {
        Path local = dir.resolve("local");
        assertEquals(0, atlas(local.toString()).code());

        String byLocal = root + "/atlas/local-engine";
        Cli r = atlas(byLocal);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("wrote " + byLocal + "/index.html"), r.err());
        sameAsLocalFolder(local, byLocal);

        String bySpark = root + "/atlas/spark";
        Cli s = atlas(bySpark, "--engine", "spark", "--master", "local[2]");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.err().contains("atlas: 18 filters in 6 tasks on Spark (local[2])") && s.err().contains("atlas: 18/18 filters"), s.err());
        sameAsLocalFolder(local, bySpark);

        // A rerun renders nothing; a lost tile is rendered again, to the same bytes.
        Cli again = atlas(bySpark, "--engine", "spark", "--master", "local[2]");
        assertTrue(again.err().contains("18 filters: 0 rendered, 18 already there"), again.err());
        String lost = files(bySpark).stream().filter(f -> f.startsWith("tiles/conv2_relu/") && f.endsWith("/3.json")).findFirst().orElseThrow();
        assertTrue(fs.delete(new org.apache.hadoop.fs.Path(bySpark + "/" + lost), false));
        Cli resumed = atlas(bySpark, "--engine", "spark", "--master", "local[2]");
        assertTrue(resumed.err().contains("18 filters: 1 rendered, 17 already there"), resumed.err());
        assertTrue(resumed.err().contains("atlas: 4 filters in 1 task on Spark (local[2]), 14 already there"), "only the chunk with the lost tile is sent: "
                + resumed.err());
        sameAsLocalFolder(local, bySpark);
    }

    @Test
    void anUnreachableFileSystemIsOneLine() {
        Cli r = atlas("hdfs://127.0.0.1:1/atlas");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("cannot use --out hdfs://127.0.0.1:1/atlas") && r.err().contains("Connection refused"), r.err());
        Cli s3 = atlas("s3a://bucket/atlas");
        assertEquals(2, s3.code(), s3.err());
        assertTrue(s3.err().contains("connector is not installed"), s3.err());
        Cli root = atlas(this.root + "/");
        assertTrue(root.err().contains("names no folder"), root.err());
    }
}
