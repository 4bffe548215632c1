package org.filtervis.core;

import jakarta.inject.Inject;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;

/** The chosen backend, the model and the recipe, put together by Guice for one command. */
public final class Visualizer implements AutoCloseable {
    private final BackendProvider provider;
    private final ModelBackend backend;
    private final RunSettings settings;
    private Model model;

    @Inject
    Visualizer(BackendProvider provider, ModelBackend backend, RunSettings settings) {
        this.provider = provider;
        this.backend = backend;
        this.settings = settings;
    }

    public BackendProvider provider() {
        return provider;
    }

    public RunSettings settings() {
        return settings;
    }

    /** The model, opened on first use. */
    public Model model() {
        if (model == null) {
            model = backend.open(settings.model());
        }
        return model;
    }

    @Override
    public void close() {
        if (model != null) {
            model.close();
        }
        backend.close();
    }
}
