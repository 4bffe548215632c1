package org.filtervis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.filtervis.toy.ToyBadProvider;
import org.filtervis.toy.ToyVersionedProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backend is a jar: dropped in a plugins sub-folder, it is found, isolated and used. */
class PluginTest {
    @TempDir
    Path dir;

    /** The toy backend's classes, built before this module (examples/toy-backend). */
    static final Path TOY_CLASSES = Path.of("../examples/toy-backend/target/classes").toAbsolutePath().normalize();

    /**
     * Packs the toy backend (examples/toy-backend) and this module's broken and versioned variants
     * of it into one jar, with a service file naming all of them.
     */
    static void toyJar(Path jar) throws IOException {
        if (!Files.isRegularFile(TOY_CLASSES.resolve("org/filtervis/examples/toy/ToyProvider.class"))) {
            throw new IllegalStateException("build the toy backend first: mvn -pl examples/toy-backend -am package (missing " + TOY_CLASSES + ")");
        }
        Path variants = Path.of(ToyBadProvider.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        Files.createDirectories(jar.getParent());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Path[] root : new Path[][] {{TOY_CLASSES, TOY_CLASSES.resolve("org/filtervis/examples/toy")}, {variants, variants.resolve("org/filtervis/toy")}}) {
                try (Stream<Path> files = Files.walk(root[1])) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        out.putNextEntry(new JarEntry(root[0].relativize(f).toString().replace('\\', '/')));
                        out.write(Files.readAllBytes(f));
                        out.closeEntry();
                    }
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/org.filtervis.api.BackendProvider"));
            out.write(("org.filtervis.examples.toy.ToyProvider\n" + ToyBadProvider.class.getName() + "\n"
                    + ToyVersionedProvider.Old.class.getName() + "\n" + ToyVersionedProvider.Future.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

    @Test
    void toyBackendFromAJarRunsThroughTheCli() throws IOException {
        Path plugins = dir.resolve("plugins");
        toyJar(plugins.resolve("toy/toy-backend.jar"));
        Cli backends = Cli.run("backends", "--plugins", plugins.toString());
        assertTrue(backends.out().contains("toy        toy 1.0"), backends.out());
        assertTrue(backends.out().contains("onnx"), "the class path backend is still there");

        Path model = Files.writeString(dir.resolve("m.toy"), "toy");
        Path out = dir.resolve("out");
        Cli run = Cli.run("visualize", "--plugins", plugins.toString(), "--backend", "toy", "--model", model.toString(), "--layer", "colour",
                "--size", "40", "--out", out.toString(), "--quiet");
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.isRegularFile(out.resolve("grid.png")));
        assertTrue(Files.isRegularFile(out.resolve("filters/colour-2.png")));
        assertTrue(Files.readString(out.resolve("run.json")).contains("\"backend\": \"toy\""));
    }

    @Test
    void pluginsFolderAddsToTheDistributionsOwnAndMustExist() throws IOException {
        Path home = dir.resolve("dist");
        toyJar(home.resolve("plugins/toy/toy-backend.jar"));
        Path extra = Files.createDirectories(dir.resolve("extra"));
        toyJar(extra.resolve("loose.jar"));
        String before = System.getProperty("filtervis.home");
        System.setProperty("filtervis.home", home.toString());
        try {
            Cli both = Cli.run("backends", "--plugins", extra.toString());
            assertEquals(0, both.code(), both.err());
            assertTrue(both.out().contains("toy        toy 1.0"), "the distribution's plugin is still there: " + both.out());
            assertTrue(both.err().contains("plugin jar " + extra.resolve("loose.jar") + " sits directly in the plugins folder")
                    && both.err().contains(extra.resolve("NAME").resolve("loose.jar").toString()), both.err());
            Cli same = Cli.run("backends", "--plugins", home.resolve("plugins").toString());
            assertEquals(0, same.code(), "the distribution's folder given again loads once: " + same.err());
            Cli missing = Cli.run("backends", "--plugins", dir.resolve("nope").toString());
            assertEquals(2, missing.code());
            assertTrue(missing.oneLineError() && missing.err().contains("plugins folder " + dir.resolve("nope") + " does not exist"), missing.err());
        } finally {
            if (before == null) {
                System.clearProperty("filtervis.home");
            } else {
                System.setProperty("filtervis.home", before);
            }
        }
    }

    @Test
    void filtersThatFireWithoutGradientAreReportedCrossedOutAndFailTheRun() throws IOException {
        Path plugins = dir.resolve("plugins");
        toyJar(plugins.resolve("toy/toy-backend.jar"));
        Path model = Files.writeString(dir.resolve("m.toy"), "toy");
        Path out = dir.resolve("flat");
        Cli run = Cli.run("visualize", "--plugins", plugins.toString(), "--backend", "toy", "--model", model.toString(), "--layer", "constant",
                "--size", "40", "--out", out.toString(), "--quiet");
        assertEquals(1, run.code(), run.err());
        assertTrue(run.err().contains("warning: filter 0 has a positive objective but an all-zero gradient at step 0"), run.err());
        assertTrue(run.err().strip().endsWith("filtervis: filters [0, 1, 2] fired but backend 'toy' gave them an all-zero gradient: it lost the"
                + " gradient, or they are constant near this image (tiles crossed out, see run.json); check with another --backend"), run.err());
        String json = Files.readString(out.resolve("run.json"));
        assertTrue(json.contains("\"zero_gradient\": [0, 1, 2]") && json.contains("\"status\": \"zero_gradient\""), json);
        var tile = javax.imageio.ImageIO.read(out.resolve("filters/constant-0.png").toFile());
        assertEquals(0xff0000, tile.getRGB(0, 0) & 0xffffff, "crossed out in red");
    }

    @Test
    void olderSpiVersionsStillLoadNewerOnesAreRefused() throws IOException {
        Path plugins = dir.resolve("plugins");
        toyJar(plugins.resolve("toy/toy-backend.jar"));
        Cli backends = Cli.run("backends", "--plugins", plugins.toString());
        assertEquals(0, backends.code(), backends.err());
        assertTrue(backends.out().contains("toy-spi1") && backends.out().contains("not promised"),
                "an SPI 1 provider runs; it says nothing of repeatability, an SPI 2 method: " + backends.out());
        assertTrue(!backends.out().contains("toy-spi99") && backends.err().contains("backend 'toy-spi99' in ")
                && backends.err().contains("was built for SPI version 99, this filtervis runs 1 to " + org.filtervis.api.BackendProvider.SPI_VERSION), backends.err());
    }

    @Test
    void theToyIsLoadedInItsOwnClassLoader() throws IOException {
        Path plugins = dir.resolve("plugins");
        toyJar(plugins.resolve("toy/toy-backend.jar"));
        var registry = org.filtervis.core.plugin.BackendRegistry.discover(plugins);
        var toy = registry.providers().get("toy");
        assertTrue(toy.getClass().getName().equals("org.filtervis.examples.toy.ToyProvider"), toy.getClass().getName());
        assertTrue(toy.getClass().getClassLoader() != PluginTest.class.getClassLoader(), "not the class path's loader");
        assertTrue(toy.getClass().getClassLoader() != org.filtervis.api.BackendProvider.class.getClassLoader(), "its own loader");
    }

    @Test
    void brokenJarIsReportedAndTheOthersStillLoad() throws IOException {
        Path plugins = dir.resolve("plugins");
        toyJar(plugins.resolve("toy/toy-backend.jar"));
        Files.createDirectories(plugins.resolve("broken"));
        try (OutputStream o = Files.newOutputStream(plugins.resolve("broken/broken.jar"))) {
            o.write("this is not a zip".getBytes(StandardCharsets.UTF_8));
        }
        Cli backends = Cli.run("backends", "--plugins", plugins.toString());
        assertEquals(0, backends.code());
        assertTrue(backends.err().contains("broken.jar is not a readable jar"), backends.err());
        assertTrue(backends.out().contains("toy"));
    }

    @Test
    void twoBackendsWithOneNameFailNamingBothJars() throws IOException {
        Path plugins = dir.resolve("plugins");
        toyJar(plugins.resolve("a/toy-a.jar"));
        toyJar(plugins.resolve("b/toy-b.jar"));
        Cli backends = Cli.run("backends", "--plugins", plugins.toString());
        assertEquals(1, backends.code());
        assertTrue(backends.err().contains("two backends are named 'toy'") && backends.err().contains("toy-a.jar")
                && backends.err().contains("toy-b.jar"), backends.err());
        assertTrue(backends.oneLineError(), backends.err());
    }

    @Test
    void unknownBackendNameListsTheAvailableOnes() {
        Cli run = Cli.run("layers", "--backend", "tensorflow");
        assertEquals(2, run.code());
        assertTrue(run.err().contains("no backend named 'tensorflow'; available: djl, onnx, tf"), run.err());
        assertTrue(run.oneLineError(), run.err());
    }
}
