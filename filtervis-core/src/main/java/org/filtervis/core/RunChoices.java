package org.filtervis.core;

import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.io.IoMessages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;

/**
 * The choices every job makes the same way, made here once: the network's image size, the
 * redirected-ReLU fallback, the output folder, and the recipe's part of the run record.
 */
public final class RunChoices {
    private RunChoices() {}

    /**
     * The side of the images the network sees: Lucid's recipe and MaCo show it a transformed,
     * resized image of the model's own size (the range and MaCo's spectrum checked against the
     * model's channels); otherwise
     * the size asked for, the model's fixed size, or {@code fallback}.
     */
    public static int networkSize(Recipe recipe, Integer size, InputSpec input, int fallback) {
        if (recipe.lucid() != null) {
            recipe.lucid().range().forChannels(input.channels());
            return recipe.lucid().networkSize(input.height());
        }
        if (recipe.maco() != null) {
            recipe.maco().range().forChannels(input.channels());
            // Read now, so a bad spectrum file is refused before any output exists.
            recipe.maco().magnitude(input.channels());
            return input.height() > 0 ? input.height() : org.filtervis.core.lucid.LucidRecipe.NETWORK_SIZE;
        }
        if (size != null) {
            return Limits.size(size);
        }
        return input.height() > 0 ? input.height() : fallback;
    }

    /**
     * The recipe as it will run on this backend. Redirected ReLU asked for by the user where the
     * backend cannot do it is a usage error; a default one (the pretrained demo's) is dropped with
     * a note, and the recipe returned runs, and is recorded, without it.
     */
    public static Recipe redirect(Recipe recipe, boolean requested, GradientProvider gradients, String backend, Consumer<String> notes) {
        if (recipe.redirectSteps() == 0 || gradients.redirectedRelu().isPresent()) {
            return recipe;
        }
        if (requested) {
            throw FiltervisException.usage("backend '" + backend + "' cannot redirect ReLU gradients for this model; run without redirection");
        }
        notes.accept("backend '" + backend + "' cannot redirect ReLU gradients (the demo's default); filters that do not fire on noise may"
                + " stay dead (the onnx backend redirects)");
        return recipe.withRedirectSteps(0);
    }

    /** Creates the output folder, or fails before anything is written. */
    public static void prepareOutput(Path out) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw FiltervisException.failure("cannot create output folder " + out + " (" + IoMessages.describe(e) + "); choose a writable folder");
        }
        if (!Files.isWritable(out)) {
            throw FiltervisException.failure("output folder " + out + " is not writable; choose a writable folder");
        }
    }

    /** The recipe as every run record says it: its name, Lucid's pieces and image size, the numbers. */
    public static Map<String, Object> recipeRecord(Recipe recipe) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("recipe", recipe.name());
        s.put("border", recipe.border());
        if (recipe.lucid() != null) {
            s.put("lucid", recipe.lucid().describe());
            s.put("image_size", recipe.lucid().size());
        }
        if (recipe.maco() != null) {
            s.put("maco", recipe.maco().describe());
            s.put("image_size", recipe.maco().size());
            s.put("crops", recipe.maco().crops());
        }
        return s;
    }

    /** The backend's part of a run record. */
    public static Map<String, Object> backendRecord(Session s) {
        BackendOptions o = s.settings().options();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("backend", s.provider().name());
        r.put("backend_version", s.provider().version());
        r.put("device", o.device());
        r.put("threads", o.threads());
        r.put("precision", o.precision());
        return r;
    }
}
