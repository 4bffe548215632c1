package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real HDFS for the tests: Hadoop's MiniDFSCluster, a NameNode and one DataNode, its files under {@code dir}. */
final class TestHdfs implements AutoCloseable {
    final MiniDFSCluster cluster;
    /** hdfs://127.0.0.1:PORT */
    final String root;

    TestHdfs(Path dir) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    }

    FileSystem fs() throws IOException {
        return cluster.getFileSystem();
    }

    @Override
    public void close() {
        cluster.shutdown();
    }
}
