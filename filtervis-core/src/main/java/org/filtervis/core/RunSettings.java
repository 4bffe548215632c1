package org.filtervis.core;

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
 */
public record RunSettings(String backend, Path model, BackendOptions options, Recipe recipe, int batch) {}
