package org.filtervis.core;

import org.filtervis.core.ascent.GradientAscent;
import org.filtervis.core.ascent.Recipe;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.filtervis.api.FilterResult;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.api.Objective;

/**
 * One visualization run, as settings checked when made: what to maximize (a layer's channel on
 * the fused path, or any objective), which filters, the recipe, the network size and where the
 * images go. {@link #run} makes every remaining choice the same way for the command line and a
 * Java caller: the size, the filters' default, the redirected-ReLU fallback (recorded as run),
 * the output folder (made only once the sessions are built), the run record.
 *
 * @param name        the layer, or the objective as written (names the images and the record)
 * @param objective   the parsed objective, or null for the channel of layer {@code name}
 * @param filters     the filter list as written, or null for {@code defaultFilters}
 * @param defaultFilters the filters without a list (the pretrained demo's), or null for the first 64
 * @param recipe      the recipe, redirected ReLU included when asked for or by default
 * @param redirectRequested whether redirected ReLU was asked for (then a backend without it is an error)
 * @param size        the image side asked for, or null for the model's or the recipe's
 * @param out         the output folder (the session's sinks write there)
 * @param model       how the run record names the model
 * @param version     filtervis's version, for the record
 */
public record VisualizeJob(String name, Objective objective, String filters, String defaultFilters, Recipe recipe, boolean redirectRequested,
        Integer size, Path out, String model, String version) {
    public VisualizeJob {
        if (out == null || out.toString().isEmpty()) {
            throw FiltervisException.usage("the output folder is empty; name one");
        }
        Limits.recipe(recipe);
    }

    /** What the run did, and what it wrote. */
    public record Result(RunEngine.Result run, Recipe recipe) {
        public List<FilterResult> filters() {
            return run.filters();
        }

        /** Filters that ended dead, NaN or without gradient. */
        public long flagged() {
            return run.filters().stream().filter(r -> r.status() != FilterResult.Status.OK).count();
        }
    }

    /**
     * Runs the job on {@code session} (opened with this job's recipe, batch and output folder).
     * Notes (a default dropped) go to {@code notes}; filters with a non-finite objective or a lost
     * gradient end the run as a failure, after their run record is written.
     */
    public Result run(Session session, Consumer<String> notes, GradientAscent.Listener progress) {
        long t0 = System.nanoTime();
        Model model = session.model();
        int px = RunChoices.networkSize(recipe, size, model.input(), Recipe.KERAS_SIZE);
        try (GradientProvider gradients = objective != null ? session.gradients(objective, px, px) : session.gradients(name, px, px)) {
            String spec = filters != null ? filters : defaultFilters != null ? defaultFilters : "0-" + (Math.min(64, gradients.channels()) - 1);
            List<Integer> chosen = FilterList.distinct(FilterList.parse(spec), gradients.channels(), name);
            Recipe used = RunChoices.redirect(recipe, redirectRequested, gradients, session.provider().name(), notes);
            int atOnce = Math.max(1, Math.min(Math.min(session.settings().batch(), gradients.maxBatch()), chosen.size()));
            Limits.images(atOnce, gradients.input().elements());
            Limits.activations(atOnce, session.layers(px, px), px);
            // Sessions are built (and a batch that cannot fit refused) before the output folder exists.
            session.prepare(gradients, used, chosen.size());
            RunChoices.prepareOutput(out);
            RunEngine.Result run = session.runPrepared(gradients, name, chosen, used, record(session, chosen, px, used), (System.nanoTime() - t0) / 1e9,
                    progress);
            List<Integer> nonFinite = run.filters().stream().filter(r -> r.status() == FilterResult.Status.NAN).map(FilterResult::filter).toList();
            if (!nonFinite.isEmpty()) {
                throw FiltervisException.failure("filters " + nonFinite + " got a non-finite (NaN or infinite) objective or gradient"
                        + " (their tiles stop at that step, see run.json); check the objective's weights and the step length");
            }
            if (!run.withoutGradient().isEmpty()) {
                throw FiltervisException.failure("filters " + run.withoutGradient() + " fired but backend '" + session.provider().name()
                        + "' gave them an all-zero gradient: it lost the gradient, or they are constant near this image (tiles crossed out,"
                        + " see run.json); check with another backend");
            }
            return new Result(run, used);
        }
    }

    private Map<String, Object> record(Session session, List<Integer> chosen, int px, Recipe used) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", model);
        if (objective != null) {
            s.put("objective", name);
        } else {
            s.put("layer", name);
            s.put("objective", new Objective.Channel(name, null, used.border()).describe());
            s.put("border", used.border());
        }
        s.putAll(RunChoices.backendRecord(session));
        s.putAll(RunChoices.recipeRecord(used));
        s.put("filters", chosen);
        s.put("size", px);
        s.put("steps", used.steps());
        s.put("lr", used.lr());
        s.put("seed", used.seed());
        s.put("redirect_relu_steps", used.redirectSteps());
        s.put("batch", session.settings().batch());
        s.put("filtervis_version", version);
        s.put("java_version", System.getProperty("java.version"));
        return s;
    }
}
