package org.filtervis.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaSparkContext;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.atlas.AtlasJob;

/**
 * The files a job sends to its executors with Spark's own file distribution: the model (a
 * file, or a folder as a zip archive Spark unpacks) and the chosen backend's plugin folder (as
 * an archive), so that an executor opens its own copies. Closing it deletes the driver's
 * temporary archives.
 */
final class Shipment implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;
    /** The model: the name Spark knows it by, and the path inside that (for a folder sent as an archive). */
    private final String modelName;
    private final String modelInside;
    /** The archives that each unpack to a plugins folder. */
    private final List<String> pluginArchives;
    private final transient List<Path> temporary;

    private Shipment(String modelName, String modelInside, List<String> pluginArchives, List<Path> temporary) {
        this.modelName = modelName;
        this.modelInside = modelInside;
        this.pluginArchives = List.copyOf(pluginArchives);
        this.temporary = temporary;
    }

    static Shipment of(JavaSparkContext sc, AtlasJob job) {
        List<Path> temporary = new ArrayList<>();
        try {
            Path model = Path.of(job.model()).toAbsolutePath();
            String modelName;
            String inside = "";
            if (Files.isDirectory(model)) {
                Path zip = zip(model.getParent(), model, "filtervis-model-");
                temporary.add(zip);
                sc.sc().addArchive(zip.toString());
                modelName = zip.getFileName().toString();
                inside = model.getFileName().toString();
            } else {
                sc.addFile(model.toString());
                modelName = model.getFileName().toString();
            }
            List<String> archives = new ArrayList<>();
            for (String root : job.pluginDirs()) {
                Path folder = Path.of(root, job.backend());
                if (Files.isDirectory(folder)) {
                    Path zip = zip(Path.of(root), folder, "filtervis-plugins-");
                    temporary.add(zip);
                    sc.sc().addArchive(zip.toString());
                    archives.add(zip.getFileName().toString());
                }
            }
            return new Shipment(modelName, inside, archives, temporary);
        } catch (IOException e) {
            temporary.forEach(p -> p.toFile().delete());
            throw FiltervisException.failure("cannot send the model and plugins to the executors (" + e.getMessage() + ")", e);
        }
    }

    /** {@code folder} as a zip of its files under their paths relative to {@code base}; stored, not compressed (jars and weights barely shrink). */
    private static Path zip(Path base, Path folder, String prefix) throws IOException {
        Path zip = Files.createTempFile(prefix, ".zip");
        try (OutputStream file = Files.newOutputStream(zip); ZipOutputStream out = new ZipOutputStream(file); Stream<Path> walk = Files.walk(folder)) {
            out.setLevel(0);
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new ZipEntry(base.relativize(p).toString().replace(java.io.File.separatorChar, '/')));
                Files.copy(p, out);
                out.closeEntry();
            }
        }
        return zip;
    }

    /** The job as an executor runs it: with its own copies of the model and plugin folders. */
    AtlasJob onExecutor(AtlasJob job) {
        String model = SparkFiles.get(modelName);
        if (!modelInside.isEmpty()) {
            model = Path.of(model, modelInside).toString();
        }
        return job.at(model, pluginArchives.stream().map(SparkFiles::get).toList());
    }

    @Override
    public void close() {
        temporary.forEach(p -> p.toFile().delete());
    }
}
