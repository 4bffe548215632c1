package org.filtervis.core;

import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.io.RunJsonSink;
import org.filtervis.core.plugin.BackendModule;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.multibindings.Multibinder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One injector for the discovered backends, a child per run: the chosen backend and the sinks as a set a library user can add to. */
class RunModuleTest {
    @TempDir
    Path dir;

    /** A provider that opens nothing: enough to wire a run. */
    static final class Stub implements BackendProvider {
        final String name;

        Stub(String name) {
            this.name = name;
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String version() {
            return name + " 0";
        }

        @Override
        public List<String> modelFormats() {
            return List.of(name);
        }

        @Override
        public List<String> devices() {
            return List.of("cpu");
        }

        @Override
        public boolean canOpen(Path model) {
            return model.toString().endsWith("." + name);
        }

        @Override
        public ModelBackend create(BackendOptions options) {
            return new ModelBackend() {
                @Override
                public List<String> modelFormats() {
                    return List.of(name);
                }

                @Override
                public Model open(Path model) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void close() {}
            };
        }
    }

    Injector root() {
        return Guice.createInjector(new BackendModule(Map.of("a", new Stub("a"), "b", new Stub("b"))));
    }

    RunSettings settings(String backend, Path out) {
        return new RunSettings(backend, dir.resolve("m." + (backend == null ? "b" : backend)), new BackendOptions("cpu", 1), Recipe.keras(), 4, out);
    }

    @Test
    void eachRunIsAChildOfOneInjectorWithItsOwnBackend() {
        Injector root = root();
        try (Session a = root.createChildInjector(new RunModule(settings("a", null))).getInstance(Session.class);
                Session b = root.createChildInjector(new RunModule(settings(null, null))).getInstance(Session.class)) {
            assertEquals("a", a.provider().name());
            assertEquals("b", b.provider().name(), "without --backend, the one that opens the file");
            assertTrue(a.sinks().isEmpty(), "no output folder, no sinks");
        }
    }

    @Test
    void theStandardSinksComeInOrderAndAUserModuleAddsItsOwn() {
        ImageSink mine = result -> { };
        AbstractModule extra = new AbstractModule() {
            @Override
            protected void configure() {
                Multibinder.newSetBinder(binder(), ImageSink.class).addBinding().toInstance(mine);
            }
        };
        try (Session v = root().createChildInjector(new RunModule(settings("a", dir.resolve("out"))), extra).getInstance(Session.class)) {
            List<ImageSink> sinks = v.sinks();
            assertEquals(4, sinks.size(), sinks.toString());
            assertTrue(sinks.get(2) instanceof RunJsonSink, "per-filter PNGs, the grid, then run.json");
            assertSame(mine, sinks.get(3));
        }
    }
}
