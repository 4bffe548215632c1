package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.filtervis.models.ModelFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dataset examples of a collection on a real HDFS (Hadoop's MiniDFSCluster started here): read by
 * the local engine and by Spark local[2], examples.json byte-identical to the scan of the same
 * photos in a local folder; a collection that is not there is one line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HdfsExamplesTest {
    @TempDir
    static Path dir;

    TestHdfs hdfs;
    String root;

    @BeforeAll
    void startHdfs() throws IOException {
        hdfs = new TestHdfs(dir);
        root = hdfs.root;
    }

    @AfterAll
    void stopHdfs() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    static Cli examples(String images, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("examples", "--model", ModelFiles.demoNetwork().toString(), "--layers", "gabor_relu,conv3_relu",
                "--images", images, "--size", "40", "--top", "3", "--bottom", "1", "--batch", "4", "--threads", "1", "--quiet", "--out", out.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void aCollectionOnHdfsGivesTheLocalFoldersExamples() throws IOException {
        Path photos = dir.resolve("photos/a");
        TestPhotos.stripes(photos.getParent(), 12, 48, 44, k -> (k % 2 == 0 ? "a/" : "") + "p" + k + ".png");
        Files.writeString(photos.getParent().resolve("notes.txt"), "not a photo");
        FileSystem fs = hdfs.fs();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(photos.getParent().toUri()), new org.apache.hadoop.fs.Path(root + "/collection"));
        Cli local = examples(photos.getParent().toString(), dir.resolve("local"));
        Cli onHdfs = examples(root + "/collection", dir.resolve("hdfs-local"));
        Cli spark = examples(root + "/collection", dir.resolve("hdfs-spark"), "--engine", "spark", "--master", "local[2]");
        assertEquals(0, local.code(), local.err());
        assertEquals(0, onHdfs.code(), onHdfs.err());
        assertEquals(0, spark.code(), spark.err());
        byte[] want = Files.readAllBytes(dir.resolve("local/examples.json"));
        assertTrue(new String(want, java.nio.charset.StandardCharsets.UTF_8).contains("\"notes.txt\""), "the text file is skipped");
        assertArrayEquals(want, Files.readAllBytes(dir.resolve("hdfs-local/examples.json")), "read from HDFS by the local engine");
        assertArrayEquals(want, Files.readAllBytes(dir.resolve("hdfs-spark/examples.json")), "read from HDFS by Spark's executors");
        Cli missing = examples(root + "/nowhere", dir.resolve("missing"));
        assertTrue(missing.code() == 2 && missing.oneLineError() && missing.err().contains("does not exist"), missing.err());
    }
}
