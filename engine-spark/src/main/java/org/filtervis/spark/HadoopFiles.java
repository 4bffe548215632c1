package org.filtervis.spark;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;

/**
 * What every reader and writer of a Hadoop file system here does alike: the {@code spark.hadoop.*}
 * settings of this JVM (spark-submit's --conf puts them there), a configuration that finds the
 * file systems through this plugin's class loader, and calls made with it as the context class
 * loader (Hadoop looks its file systems up there, not in the host's).
 */
final class HadoopFiles {
    private HadoopFiles() {}

    /** A Hadoop call that may fail with an IOException. */
    interface IoCall<T> {
        T call() throws IOException;
    }

    /** The {@code spark.hadoop.*} system properties, without the prefix. */
    static TreeMap<String, String> sparkSettings() {
        TreeMap<String, String> settings = new TreeMap<>();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.hadoop."))
                .forEach(k -> settings.put(k.substring("spark.hadoop.".length()), System.getProperty(k)));
        return settings;
    }

    /** A configuration with {@code settings} on top of the cluster's *-site.xml files, finding classes through this plugin. */
    static Configuration configuration(Map<String, String> settings) {
        Configuration conf = new Configuration();
        conf.setClassLoader(HadoopFiles.class.getClassLoader());
        settings.forEach(conf::set);
        return conf;
    }

    /** {@code c}, with this plugin's class loader as the context class loader. */
    static <T> T call(IoCall<T> c) throws IOException {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(HadoopFiles.class.getClassLoader());
        try {
            return c.call();
        } finally {
            t.setContextClassLoader(before);
        }
    }

    /** The file system of {@code root}. */
    static org.apache.hadoop.fs.FileSystem fileSystem(String root, Configuration conf) throws IOException {
        return org.apache.hadoop.fs.FileSystem.get(URI.create(root), conf);
    }
}
