package org.filtervis.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.atlas.SiteFiles;

/**
 * The atlas's site on any Hadoop-compatible file system: hdfs://, s3a://, abfs://, gs://, ...
 * (the schemes whose connectors are on the class path; Spark brings HDFS's). On a file system
 * with atomic rename (HDFS, local) a file is written under a temporary name of its own and
 * renamed over the target; on an object store, whose objects appear whole when their upload
 * completes and whose rename is a copy, it is written in place. Either way a retried or
 * speculative task writing the same tile leaves one whole copy.
 */
public final class HadoopSiteFiles implements SiteFiles {
    private static final long serialVersionUID = 1L;
    /** Object stores: an object becomes visible whole when its upload completes. */
    private static final Set<String> OBJECT_STORES = Set.of("s3a", "s3", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs", "oss", "cos", "cosn", "obs");

    private final String root;
    private final TreeMap<String, String> settings;
    private transient FileSystem fs;
    private transient FileContext renames; // one per site: each FileContext of HDFS holds a client of its own

    private HadoopSiteFiles(String root, Map<String, String> settings) {
        this.root = root.replaceAll("/+$", "");
        this.settings = new TreeMap<>(settings);
    }

    /**
     * The site at {@code uri}, with the Hadoop settings given as {@code spark.hadoop.*} system
     * properties (spark-submit's --conf puts them there) on top of the cluster's *-site.xml
     * files; checked by making its folder, so a wrong address fails here in one line.
     */
    public static SiteFiles open(String uri) {
        URI u;
        try {
            u = new URI(uri);
        } catch (java.net.URISyntaxException e) {
            throw FiltervisException.usage("--out " + uri + " is not a URI (" + e.getReason() + ")");
        }
        if (u.getScheme() == null || u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/")) {
            throw FiltervisException.usage("--out " + uri + " names no folder; give one, e.g. hdfs://namenode:8020/atlas/resnet18");
        }
        HadoopSiteFiles site = new HadoopSiteFiles(uri, HadoopFiles.sparkSettings());
        try {
            site.call(() -> site.fs().mkdirs(new Path(site.root)));
        } catch (IOException | RuntimeException e) {
            if (e instanceof FiltervisException) {
                throw (FiltervisException) e;
            }
            throw FiltervisException.usage("cannot use --out " + uri + ": " + oneLine(e) + "; check the address and that the file system is up");
        }
        return site;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        m = m.lines().findFirst().orElse(m).replaceAll(";? *For more details see:.*", "").strip();
        if (e instanceof org.apache.hadoop.fs.UnsupportedFileSystemException || m.contains("No FileSystem for scheme") || m.contains("ClassNotFoundException")) {
            m = m + " (the file system's connector is not installed: add its jars, e.g. hadoop-aws and its AWS SDK for s3a, to plugins/spark"
                    + " or to spark-submit --jars)";
        }
        return m;
    }

    private <T> T call(HadoopFiles.IoCall<T> c) throws IOException {
        return HadoopFiles.call(c);
    }

    private synchronized FileSystem fs() throws IOException {
        if (fs == null) {
            Configuration conf = HadoopFiles.configuration(settings);
            fs = HadoopFiles.fileSystem(root, conf);
            renames = FileContext.getFileContext(fs.getUri(), conf);
        }
        return fs;
    }

    private Path path(String relative) {
        return new Path(root + "/" + relative);
    }

    @Override
    public boolean exists(String path) throws IOException {
        return call(() -> {
            try {
                return fs().getFileStatus(path(path)).isFile();
            } catch (FileNotFoundException e) {
                return false;
            }
        });
    }

    @Override
    public byte[] read(String path, int maxBytes) throws IOException {
        return call(() -> {
            FileStatus s;
            try {
                s = fs().getFileStatus(path(path));
            } catch (FileNotFoundException e) {
                return null;
            }
            if (!s.isFile() || s.getLen() > maxBytes) {
                return null;
            }
            byte[] bytes = new byte[(int) s.getLen()];
            try (InputStream in = fs().open(path(path))) {
                int n = in.readNBytes(bytes, 0, bytes.length);
                return n == bytes.length && in.read() < 0 ? bytes : null; // changed while read: treat as missing
            }
        });
    }

    @Override
    public void write(String path, byte[] bytes) throws IOException {
        call(() -> {
            Path target = path(path);
            if (OBJECT_STORES.contains(target.toUri().getScheme().toLowerCase(Locale.ROOT))) {
                try (OutputStream out = fs().create(target, true)) {
                    out.write(bytes);
                }
                return null;
            }
            Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".part");
            boolean renamed = false;
            try {
                try (OutputStream out = fs().create(tmp, false)) {
                    out.write(bytes);
                }
                renames.rename(tmp, target, Options.Rename.OVERWRITE); // atomic, replacing a tile another attempt wrote
                renamed = true;
            } finally {
                if (!renamed) {
                    fs().delete(tmp, false);
                }
            }
            return null;
        });
    }

    @Override
    public String location() {
        return root;
    }
}
