package org.filtervis.core;

import org.filtervis.core.ascent.GradientAscent;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.objective.ObjectiveGradients;
import org.filtervis.core.plugin.BackendModule;
import org.filtervis.core.plugin.BackendRegistry;
import com.google.inject.Guice;
import com.google.inject.Module;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.ImageSink;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.api.Objective;

/**
 * The library's entry point, and every command's: the chosen backend, the model, the recipe and
 * the sinks of one run, put together by Guice. {@link #open} wires one from settings; then
 * {@link #layers}, {@link #gradients} for any objective, and {@link #run} with the run's sinks.
 *
 * <pre>{@code
 * RunSettings s = new RunSettings("onnx", modelFile, new BackendOptions("cpu", 2), Recipe.keras(), 16, outDir);
 * try (Session v = Session.open(s, List.of());
 *         GradientProvider g = v.gradients("conv1", 64, 64)) {
 *     RunEngine.Result r = v.run(g, "conv1", List.of(0, 1, 2), Map.of(), new GradientAscent.Listener() {});
 * }
 * }</pre>
 */
public final class Session implements AutoCloseable {
    private final BackendProvider provider;
    private final ModelBackend backend;
    private final RunSettings settings;
    private final List<ImageSink> sinks;
    private Model model;

    @Inject
    Session(BackendProvider provider, ModelBackend backend, RunSettings settings, Set<ImageSink> sinks) {
        this.provider = provider;
        this.backend = backend;
        this.settings = settings;
        this.sinks = List.copyOf(sinks);
    }

    /**
     * Discovers the backends (on the class path and in {@code pluginsDirs}, one sub-folder per
     * plugin) and wires a run: the backend named in the settings, or the one that opens the model's
     * format; the standard sinks when the settings name an output folder; {@code extra} modules may
     * bind more sinks (a {@code Multibinder} of {@link ImageSink}).
     */
    public static Session open(RunSettings settings, List<Path> pluginsDirs, Module... extra) {
        BackendRegistry registry = BackendRegistry.discover(pluginsDirs);
        List<Module> modules = new ArrayList<>(List.of(new RunModule(settings)));
        modules.addAll(List.of(extra));
        return Guice.createInjector(new BackendModule(registry.providers())).createChildInjector(modules).getInstance(Session.class);
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

    /** Another model file opened by the same backend with the same options (the caller closes it). */
    public Model open(Path other) {
        return backend.open(other);
    }

    /** The model's layers for images of this size (block outputs first). */
    public List<LayerInfo> layers(int height, int width) {
        return model().layers(height, width);
    }

    /**
     * The channel objective of each image's own filter at {@code layer} (what {@code --layer}
     * means), on the backend's fused path: the Keras recipe's images, byte for byte.
     */
    public GradientProvider gradients(String layer, int height, int width) {
        return model().gradients(layer, height, width, settings.recipe().border());
    }

    /**
     * The gradients of any {@code objective} for images of this size, through the backend's general
     * differentiation ({@link ObjectiveGradients}; {@code channel(L, f)} there equals the fused
     * path's to float rounding).
     */
    public ObjectiveGradients gradients(Objective objective, int height, int width) {
        return ObjectiveGradients.open(model(), objective, height, width);
    }

    /**
     * Runs the settings' recipe on {@code filters} with the run's sinks ({@link RunEngine}): the
     * sessions are built first and counted as set-up, not as the first step.
     *
     * @param name         the layer or objective, as the images and the record name it
     * @param record       what the run record says about the run (model, backend, options...)
     * @param setupSeconds time spent before this call (opening the model), for the record
     */
    public RunEngine.Result run(GradientProvider gradients, String name, List<Integer> filters, Map<String, Object> record, double setupSeconds,
            GradientAscent.Listener listener) {
        long t0 = System.nanoTime();
        RunEngine.prepare(gradients, settings.recipe(), settings.batch(), filters.size());
        double setup = setupSeconds + (System.nanoTime() - t0) / 1e9;
        return RunEngine.run(gradients, name, filters, settings.recipe(), settings.batch(), record, setup, sinks, listener);
    }

    /** Builds what a run of {@code filters} with {@code recipe} needs, before the clock starts (see {@link RunEngine#prepare}). */
    public void prepare(GradientProvider gradients, Recipe recipe, int filters) {
        RunEngine.prepare(gradients, recipe, settings.batch(), filters);
    }

    /**
     * Runs {@code recipe} (the settings' one, or the one a job settled on) on {@code filters}
     * after {@link #prepare}: the set-up is not done again.
     */
    public RunEngine.Result runPrepared(GradientProvider gradients, String name, List<Integer> filters, Recipe recipe, Map<String, Object> record,
            double setupSeconds, GradientAscent.Listener listener) {
        return RunEngine.run(gradients, name, filters, recipe, settings.batch(), record, setupSeconds, sinks, listener);
    }

    /** As {@link #run(GradientProvider, String, List, Map, double, GradientAscent.Listener)}, with no earlier set-up. */
    public RunEngine.Result run(GradientProvider gradients, String name, List<Integer> filters, Map<String, Object> record,
            GradientAscent.Listener listener) {
        return run(gradients, name, filters, record, 0, listener);
    }

    @Override
    public void close() {
        if (model != null) {
            model.close();
        }
        backend.close();
    }
}
