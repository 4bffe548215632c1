/**
 * The library behind every command. A {@link org.filtervis.core.Session} holds the opened model
 * and the chosen backend; a job ({@link org.filtervis.core.VisualizeJob},
 * {@link org.filtervis.core.compare.CompareJob}, {@link org.filtervis.core.explain.ExplainJob},
 * {@link org.filtervis.core.atlas.AtlasRun}) is an immutable, checked settings value whose
 * {@code run} makes every remaining choice once ({@link org.filtervis.core.RunChoices}: network
 * size, redirected-ReLU fallback, output folder, the run record). The command line only parses
 * options into jobs. {@link org.filtervis.core.RunEngine} runs the recipe with the session's sinks.
 *
 * <p>Packages, each depending only on those listed before it and on the API (checked by
 * {@code PackageArrowsTest}): {@code io} (files: .npy, JSON, PNG sinks, bounded reads, atomic
 * writes), {@code plugin} (discovery, class loaders, Guice wiring), {@code objective} (objectives
 * and their gradients), {@code lucid} (Lucid's image pipeline), {@code ascent} (the recipe and its
 * drivers), this package (the session, the run engine, the choices jobs share), then
 * {@code compare}, {@code explain} and {@code atlas} (the jobs of those commands).
 */
package org.filtervis.core;
