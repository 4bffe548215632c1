package org.filtervis.core;

import org.filtervis.core.ascent.Recipe;
import java.nio.file.Path;
import org.filtervis.api.BackendOptions;

/**
 * What the user asked for, as the Guice modules see it.
 *
 * @param backend name given with {@code --backend}, or null to pick by the model's format
 * @param model   the model file
 * @param options device and threads
 * @param recipe  the gradient-ascent recipe
 * @param batch   filters per batch
 * @param out     the output folder for the standard sinks (per-filter PNGs, grid.png, run.json), or
 *                null for a run that writes no images (gradient, layers, compare)
 */
public record RunSettings(String backend, Path model, BackendOptions options, Recipe recipe, int batch, Path out) {
    /** Settings for a run that writes no images. */
    public RunSettings(String backend, Path model, BackendOptions options, Recipe recipe, int batch) {
        this(backend, model, options, recipe, batch, null);
    }
}
