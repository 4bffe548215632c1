package org.filtervis.core;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.util.Map;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.ModelBackend;

/** Chooses the backend for a run; Guice injects it into the {@link Visualizer}. */
public final class RunModule extends AbstractModule {
    private final RunSettings settings;

    public RunModule(RunSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void configure() {
        bind(RunSettings.class).toInstance(settings);
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
