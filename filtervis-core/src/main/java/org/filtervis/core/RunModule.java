package org.filtervis.core;

import org.filtervis.core.io.PngSinks;
import org.filtervis.core.io.RunJsonSink;
import org.filtervis.core.plugin.BackendRegistry;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import java.util.Map;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.ModelBackend;

/**
 * One run's bindings, in a child of the process's injector (which holds {@link BackendModule}):
 * the chosen backend, and the image sinks as a set ({@link Multibinder}), the standard three
 * when the settings name an output folder. A library user adds a sink with a module of their own:
 * {@code Multibinder.newSetBinder(binder(), ImageSink.class).addBinding().toInstance(sink)}.
 */
public final class RunModule extends AbstractModule {
    private final RunSettings settings;

    public RunModule(RunSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void configure() {
        bind(RunSettings.class).toInstance(settings);
        Multibinder<ImageSink> sinks = Multibinder.newSetBinder(binder(), ImageSink.class);
        if (settings.out() != null) {
            sinks.addBinding().toInstance(PngSinks.perFilter(settings.out().resolve("filters")));
            sinks.addBinding().toInstance(PngSinks.grid(settings.out().resolve("grid.png")));
            sinks.addBinding().toInstance(new RunJsonSink(settings.out().resolve("run.json")));
        }
    }

    @Provides
    @Singleton
    BackendProvider chosenProvider(Map<String, BackendProvider> providers, RunSettings s) {
        return BackendRegistry.choose(providers, s.backend(), s.model());
    }

    /** Created lazily, on first use: this is where the framework's native libraries load. */
    @Provides
    @Singleton
    ModelBackend backend(BackendProvider provider, RunSettings s) {
        return BackendRegistry.create(provider, s.options());
    }
}
