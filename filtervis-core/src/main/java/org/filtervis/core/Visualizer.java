package org.filtervis.core;

import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;

/** The chosen backend, the model, the recipe and the sinks, put together by Guice for one run. */
public final class Visualizer implements AutoCloseable {
    private final BackendProvider provider;
    private final ModelBackend backend;
    private final RunSettings settings;
    private final List<ImageSink> sinks;
    private Model model;

    @Inject
    Visualizer(BackendProvider provider, ModelBackend backend, RunSettings settings, Set<ImageSink> sinks) {
        this.provider = provider;
        this.backend = backend;
        this.settings = settings;
        this.sinks = List.copyOf(sinks);
    }

    /** The run's image sinks, in the order they were bound. */
    public List<ImageSink> sinks() {
        return sinks;
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
