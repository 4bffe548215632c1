package org.filtervis.core.compare;

import org.filtervis.core.FilterList;
import org.filtervis.core.Limits;
import org.filtervis.core.RunChoices;
import org.filtervis.core.RunEngine;
import org.filtervis.core.Session;
import org.filtervis.core.ascent.GradientAscent;
import org.filtervis.core.ascent.ImageMath;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.io.IoMessages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.Objective;

/**
 * The same recipe from the same initial images on several backends, and how far they agree: the
 * step-0 gradients and the final images, pair by pair. Checked when made: two or more distinct
 * backends, tolerances that can be met and failed.
 *
 * @param name      the layer, or the objective as written
 * @param objective the parsed objective, or null for the channel of layer {@code name}
 * @param filters   the filter list as written, or null for 0-7
 * @param recipe    the recipe every backend runs (redirected ReLU only when asked for)
 * @param size      the image side asked for, or null for the model's or the recipe's
 * @param backends  the backends' names
 * @param tolerance the least step-0 gradient cosine and final-image PSNR for a pair to agree
 * @param out       where compare.json, compare.png and report.html go
 * @param model     how the report names the model
 */
public record CompareJob(String name, Objective objective, String filters, Recipe recipe, Integer size, List<String> backends,
        Comparison.Tolerance tolerance, Path out, String model) {
    public CompareJob {
        if (out == null || out.toString().isEmpty()) {
            throw FiltervisException.usage("the output folder is empty; name one");
        }
        backends = backends.stream().map(String::strip).toList();
        if (backends.stream().anyMatch(String::isEmpty)) {
            throw FiltervisException.usage("backends " + String.join(",", backends) + " has an empty name; give two or more, e.g. onnx,tf,djl");
        }
        if (backends.size() < 2) {
            throw FiltervisException.usage("backends " + String.join(",", backends) + " names one backend; compare needs two or more, e.g. onnx,tf");
        }
        if (new HashSet<>(backends).size() != backends.size()) {
            throw FiltervisException.usage("backends " + String.join(",", backends) + " names a backend twice; a backend always agrees with"
                    + " itself: give distinct backends");
        }
        if (!(tolerance.cosine() >= -1 && tolerance.cosine() <= 1)) {
            throw FiltervisException.usage("cosine tolerance " + tolerance.cosine() + " is not a cosine from -1 to 1 (e.g. 0.9999)");
        }
        if (!(tolerance.psnr() >= 0) || Double.isInfinite(tolerance.psnr())) {
            throw FiltervisException.usage("PSNR tolerance " + tolerance.psnr() + " is not a finite number of dB from 0 (e.g. 40)");
        }
        Limits.recipe(recipe);
    }

    /** The pairs, the worst of them, and whether every pair agrees. */
    public record Result(List<Comparison.Pair> pairs, Comparison.Pair worst, boolean agree) {}

    /**
     * Runs the recipe on each backend ({@code open} gives a session of the named backend), writes
     * the report and says whether they agree. A backend that cannot take the model is reported to
     * {@code notes} and skipped; fewer than two that ran is a failure.
     */
    public Result run(Function<String, Session> open, Consumer<String> notes) {
        List<Comparison.Run> runs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int usedSize = -1;
        List<Integer> chosen = List.of();
        for (String backend : backends) {
            try (Session s = open.apply(backend)) {
                int px = RunChoices.networkSize(recipe, size, s.model().input(), Recipe.KERAS_SIZE);
                usedSize = px;
                try (GradientProvider gradients = objective != null ? s.gradients(objective, px, px) : s.gradients(name, px, px)) {
                    Recipe used = RunChoices.redirect(recipe, true, gradients, backend, notes);
                    chosen = FilterList.distinct(FilterList.parse(filters == null ? "0-7" : filters), gradients.channels(), name);
                    runs.add(run(s, gradients, chosen, used));
                }
            } catch (RuntimeException e) {
                // A backend that cannot take this model is reported, not fatal.
                FiltervisException reason = userError(e);
                if (reason == null || reason.usage()) {
                    throw e;
                }
                String why = "backend " + backend + ": " + reason.getMessage();
                skipped.add(why);
                notes.accept("skipped " + why);
            }
        }
        if (runs.size() < 2) {
            throw FiltervisException.failure("fewer than two backends ran (" + runs.size() + "); nothing to compare");
        }
        RunChoices.prepareOutput(out);
        List<Comparison.Pair> pairs = Comparison.pairs(runs);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model);
        settings.put(objective != null ? "objective" : "layer", name);
        settings.put("filters", chosen);
        settings.put("size", usedSize);
        settings.putAll(RunChoices.recipeRecord(recipe));
        settings.put("steps", recipe.steps());
        settings.put("lr", recipe.lr());
        settings.put("seed", recipe.seed());
        settings.put("redirect_relu_steps", recipe.redirectSteps());
        try {
            CompareReport.write(out, settings, runs, skipped, pairs, tolerance);
        } catch (java.io.IOException e) {
            throw FiltervisException.failure("cannot write the report to " + out + " (" + IoMessages.describe(e) + ")", e);
        }
        return new Result(pairs, Comparison.worst(pairs), pairs.stream().allMatch(p -> Comparison.agrees(p, tolerance)));
    }

    /** Our own message among the causes (Guice wraps what providers throw), or null. */
    static FiltervisException userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FiltervisException fe) {
                return fe;
            }
        }
        return null;
    }

    /** The recipe on one backend, plus the gradient of each initial image. */
    private Comparison.Run run(Session s, GradientProvider gradients, List<Integer> filters, Recipe recipe) {
        InputSpec spec = gradients.input();
        int per = spec.elements();
        Map<Integer, float[]> step0 = new HashMap<>();
        for (int f : filters) {
            float[] image = new float[per];
            ImageMath.initialNoise(image, 0, per, recipe.seed(), f);
            float[] grad = new float[per];
            gradients.compute(image, new int[] {f}, new float[1], grad);
            step0.put(f, grad);
        }
        s.prepare(gradients, recipe, filters.size());
        RunEngine.Result run = s.runPrepared(gradients, name, filters, recipe, Map.of(), 0, new GradientAscent.Listener() {});
        return new Comparison.Run(s.provider().name(), s.provider().version(), run.filters(), step0, run.record().timings().get("seconds_per_step"));
    }
}
