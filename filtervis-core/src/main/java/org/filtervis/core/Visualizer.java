package org.filtervis.core;

import jakarta.inject.Inject;
import java.util.List;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.FilterResult;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.ImageSink;
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

    /** Runs the recipe on {@code filters} of the provider's layer. */
    public List<FilterResult> visualize(GradientProvider gradients, String layer, List<Integer> filters, List<ImageSink> sinks,
            GradientAscent.Listener listener) {
        return new GradientAscent(settings.recipe(), settings.batch()).run(gradients, layer, filters, sinks, listener);
    }

    @Override
    public void close() {
        if (model != null) {
            model.close();
        }
        backend.close();
    }
}
