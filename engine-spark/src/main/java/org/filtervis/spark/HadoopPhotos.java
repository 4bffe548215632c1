package org.filtervis.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.photos.PhotoSource;
import org.filtervis.core.photos.PhotoWalk;

/**
 * A photo collection on a Hadoop file system (hdfs://, s3a://, ...): walked one folder at a time,
 * each folder's entries in byte order of their names (as {@link PhotoWalk} walks a local one), and
 * read photo by photo on the executors, each read bounded. The Hadoop settings travel with it.
 */
final class HadoopPhotos implements PhotoSource {
    private static final long serialVersionUID = 1L;
    /** As the local reader's bound. */
    static final long MAX_BYTES = 512L << 20;

    private final String root;
    private final TreeMap<String, String> settings;
    private transient FileSystem fs;

    private HadoopPhotos(String root, Map<String, String> settings) {
        this.root = root.replaceAll("/+$", "");
        this.settings = new TreeMap<>(settings);
    }

    /** The collection at {@code uri}, with the {@code spark.hadoop.*} settings of this JVM; checked to be a folder, in one line. */
    static HadoopPhotos open(String uri) {
        HadoopPhotos photos = new HadoopPhotos(uri, HadoopFiles.sparkSettings());
        boolean folder;
        try {
            folder = photos.call(() -> photos.fs().getFileStatus(new Path(photos.root)).isDirectory());
        } catch (FileNotFoundException e) {
            throw FiltervisException.usage("photos " + uri + " does not exist; give a folder of PNG or JPEG photos");
        } catch (IOException | RuntimeException e) {
            throw FiltervisException.usage("cannot read photos " + uri + ": " + HadoopSiteFiles.oneLine(e) + "; check the address and that the file"
                    + " system is up");
        }
        if (!folder) {
            throw FiltervisException.usage("photos " + uri + " is not a folder; give a folder of PNG or JPEG photos");
        }
        return photos;
    }

    private <T> T call(HadoopFiles.IoCall<T> c) throws IOException {
        return HadoopFiles.call(c);
    }

    private synchronized FileSystem fs() throws IOException {
        if (fs == null) {
            fs = HadoopFiles.fileSystem(root, HadoopFiles.configuration(settings));
        }
        return fs;
    }

    @Override
    public void walk(PhotoWalk.Visitor visitor) {
        folder(new Path(root), "", 0, visitor);
    }

    private void folder(Path dir, String prefix, int depth, PhotoWalk.Visitor visitor) {
        FileStatus[] entries;
        try {
            entries = call(() -> fs().listStatus(dir));
        } catch (IOException e) {
            if (prefix.isEmpty()) {
                throw FiltervisException.usage("cannot list " + root + " (" + HadoopSiteFiles.oneLine(e) + ")");
            }
            visitor.skipped(prefix.substring(0, prefix.length() - 1), "a folder that cannot be read (" + HadoopSiteFiles.oneLine(e) + ")");
            return;
        }
        Arrays.sort(entries, (a, b) -> Arrays.compareUnsigned(a.getPath().getName().getBytes(StandardCharsets.UTF_8),
                b.getPath().getName().getBytes(StandardCharsets.UTF_8)));
        for (FileStatus s : entries) {
            String relative = prefix + s.getPath().getName();
            if (s.isDirectory()) {
                if (depth + 1 > 64) {
                    visitor.skipped(relative, "a folder deeper than 64 levels");
                } else {
                    folder(s.getPath(), relative + "/", depth + 1, visitor);
                }
            } else if (s.isFile() && relative.toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g)")) {
                visitor.photo(null, relative);
            } else {
                visitor.skipped(relative, s.isSymlink() ? "a symbolic link (not followed)" : "not a PNG or JPEG file");
            }
        }
    }

    @Override
    public byte[] read(String relative) {
        try {
            return call(() -> {
                Path p = new Path(root + "/" + relative);
                FileStatus s = fs().getFileStatus(p);
                if (s.getLen() > MAX_BYTES) {
                    throw FiltervisException.usage("image " + relative + " is larger than " + (MAX_BYTES >> 20) + " MB; give a smaller file");
                }
                byte[] bytes = new byte[(int) s.getLen()];
                try (InputStream in = fs().open(p)) {
                    int n = in.readNBytes(bytes, 0, bytes.length);
                    if (n != bytes.length) {
                        throw FiltervisException.usage("image " + relative + " changed while it was read; scan again");
                    }
                }
                return bytes;
            });
        } catch (IOException e) {
            throw FiltervisException.usage("cannot read image " + relative + " (" + HadoopSiteFiles.oneLine(e) + ")");
        }
    }

    @Override
    public String describe() {
        return root;
    }
}
