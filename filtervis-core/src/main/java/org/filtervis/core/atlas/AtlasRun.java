package org.filtervis.core.atlas;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.FilterList;
import org.filtervis.core.Limits;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.RunChoices;
import org.filtervis.core.Session;

/**
 * One atlas, as settings checked when made: which layers and filters, the recipe, the network
 * size, the engine and where the site goes. {@link #run} makes every other choice: the layers'
 * and filters' checks, the memory bound, the redirected-ReLU fallback (recorded as run), the
 * site (a local folder, file://, or a Hadoop path through an engine), the tiles' key, and the
 * engine's run, with the tiles already stored skipped.
 *
 * @param layers   blocks, all, or layer names separated by commas
 * @param filters  the filter list as written (each layer takes those it has), or null for all
 * @param recipe   the recipe, redirected ReLU included when asked for or by default
 * @param redirectRequested whether redirected ReLU was asked for (then a backend without it is an error)
 * @param size     the image side asked for, or null for the model's or the recipe's
 * @param engine   "local" (in this process) or a plugin engine's name
 * @param master   the engine's cluster, or null for its default
 * @param out      the site: a folder, a file:// URI, or a Hadoop URI (hdfs://, s3a://) an engine reaches
 * @param modelFile the model as the backend opens it
 * @param modelName how the site's pages name the model
 * @param modelDescription how the record names the model
 * @param pluginDirs the plugin folders, for an engine's workers
 * @param verbose  whether an engine shows its own logs of failed attempts
 * @param examples the photo collection to find each filter's dataset examples in, or null for none
 * @param examplesRange the model's pixel range for those photos
 * @param views    the views of each filter rendered, the channel first
 */
public record AtlasRun(String layers, String filters, Recipe recipe, boolean redirectRequested, Integer size, String engine, String master, String out,
        Path modelFile, String modelName, String modelDescription, List<String> pluginDirs, boolean verbose, Path examples,
        org.filtervis.core.lucid.InputRange examplesRange, List<AtlasView> views) {
    /** Dataset examples shown per filter. */
    public static final int EXAMPLES_TOP = 5;

    public AtlasRun {
        if (out == null || out.isEmpty()) {
            throw FiltervisException.usage("the site's folder is empty; name one");
        }
        if (master != null && engine.equals("local")) {
            throw FiltervisException.usage("a cluster belongs to an engine that runs elsewhere, not to the local one");
        }
        Limits.recipe(recipe);
        views = List.copyOf(views);
        if (recipe.maco() != null && views.contains(AtlasView.DIVERSITY)) {
            throw FiltervisException.usage("the diversity view optimizes images together, which maco does not (it batches one image's crops);"
                    + " use --recipe lucid or keras, or leave diversity out of --views");
        }
    }

    /** What the atlas did, and where its index is. */
    public record Result(Atlas.Summary summary, String index) {}

    /**
     * Renders the missing tiles and writes the site. {@code engines} are the installed plugin
     * engines; {@code session} was opened with this run's recipe and batch.
     */
    public Result run(Session session, Map<String, AtlasEngine> engines, Atlas.Progress progress, Consumer<String> say) throws IOException {
        Consumer<String> notes = note -> say.accept("filtervis: note: " + note);
        AtlasEngine remote = engine.equals("local") ? null : engines.get(engine);
        if (!engine.equals("local") && remote == null) {
            throw FiltervisException.usage("unknown engine '" + engine + "'; installed: local" + (engines.isEmpty() ? "" : ", "
                    + String.join(", ", new java.util.TreeSet<>(engines.keySet()))));
        }
        if (remote != null) {
            call(remote, () -> {
                remote.checkMaster(master);
                return null;
            });
        }
        Model model = session.model();
        int batch = session.settings().batch();
        int px = RunChoices.networkSize(recipe, size, model.input(), Recipe.KERAS_SIZE);
        List<LayerInfo> all = session.layers(px, px);
        List<Atlas.Layer> chosen = chooseLayers(all, layers);
        Recipe used = recipe;
        if (recipe.redirectSteps() > 0) {
            try (GradientProvider g = model.gradients(chosen.get(0).name(), px, px, recipe.border())) {
                used = RunChoices.redirect(recipe, redirectRequested, g, session.provider().name(), notes);
            }
        }
        Map<String, List<Integer>> perLayer = new LinkedHashMap<>();
        for (Atlas.Layer l : chosen) {
            List<Integer> of = filtersOf(filters, l.channels());
            if (of.isEmpty()) {
                throw FiltervisException.usage("filters " + filters + " name none of layer '" + l.name() + "''s filters 0 to " + (l.channels() - 1)
                        + "; choose filters it has");
            }
            perLayer.put(l.name(), of);
        }
        Limits.activations(Math.min(batch, perLayer.values().stream().mapToInt(List::size).max().orElse(1)), all, px);
        if (remote != null) {
            // An unreachable cluster is one line before the site is started.
            call(remote, () -> {
                remote.checkReachable(master);
                return null;
            });
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", modelDescription);
        settings.put("model_sha256", sha256(modelFile));
        settings.put("backend", session.provider().name() + " (" + session.provider().version() + ")");
        settings.put("threads", session.settings().options().threads());
        settings.put("precision", session.settings().options().precision());
        settings.putAll(RunChoices.recipeRecord(used));
        settings.put("size", px);
        settings.put("steps", used.steps());
        settings.put("lr", used.lr());
        settings.put("seed", used.seed());
        settings.put("redirect_relu_steps", used.redirectSteps());
        settings.put("batch", batch);
        TileStore store = new TileStore(site(remote, engines), TileStore.key(settings));
        // Not part of the tiles' key: each view has its own tiles, so adding a view keeps those already rendered.
        settings.put("views", String.join(",", views.stream().map(AtlasView::word).toList()));
        if (examples != null && !(store.site() instanceof LocalSiteFiles)) {
            throw FiltervisException.usage("--images needs a site in a local folder for now; write the site to a folder, or leave --images out");
        }
        AtlasSite.write(modelName, settings, chosen, perLayer, store);
        List<Atlas.Task> tasks = Atlas.tasks(chosen, perLayer, batch);
        Atlas.Summary s;
        if (remote == null) {
            s = Atlas.runLocal(model, tasks, store, used, px, batch, views, progress);
        } else {
            AtlasJob job = new AtlasJob(session.provider().name(), modelFile.toAbsolutePath().toString(), session.settings().options(), used, batch, px,
                    pluginDirs, store.site(), store.key(), views);
            s = runRemote(remote, job, tasks, store, progress, say);
        }
        AtlasSite.Examples found = examples == null ? null : AtlasExamples.find(session, org.filtervis.core.photos.PhotoSource.local(examples), examplesRange, chosen, perLayer, px, batch, used,
                ((LocalSiteFiles) store.site()).folder(), store, notes);
        AtlasSite.write(modelName, settings, chosen, perLayer, store, found, views);
        return new Result(s, store.site().location("index.html"));
    }

    /** The tasks with missing tiles, on the engine; tasks whose tiles are all stored are not sent. */
    private Atlas.Summary runRemote(AtlasEngine remote, AtlasJob job, List<Atlas.Task> all, TileStore store, Atlas.Progress progress,
            Consumer<String> say) {
        int total = all.stream().mapToInt(t -> t.filters().size()).sum();
        List<Atlas.Task> tasks = new ArrayList<>();
        int stored = 0;
        for (Atlas.Task t : all) {
            if (Atlas.missing(t, store, views).isEmpty()) {
                stored += t.filters().size();
            } else {
                tasks.add(t);
            }
        }
        if (tasks.isEmpty()) {
            return new Atlas.Summary(total, 0, stored, 0);
        }
        int already = stored;
        say.accept(String.format(java.util.Locale.ROOT, "atlas: %d filters in %d task%s on %s%s", total - already, tasks.size(), tasks.size() == 1 ? "" : "s",
                call(remote, () -> remote.where(master)), already > 0 ? ", " + already + " already there" : ""));
        long t0 = System.nanoTime();
        Atlas.Progress counted = (done, n, rendered, seconds) -> progress.filtersDone(already + done, total, rendered, seconds);
        AtlasEngine.Counts c = call(remote, () -> remote.run(job, tasks, master, verbose, counted));
        return new Atlas.Summary(total, c.rendered(), already + c.alreadyStored(), (System.nanoTime() - t0) / 1e9);
    }

    /** Where the site goes: a local folder (or file://), else a Hadoop URI through an engine that reaches it. */
    private SiteFiles site(AtlasEngine remote, Map<String, AtlasEngine> engines) {
        if (!out.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            Path folder = Path.of(out);
            RunChoices.prepareOutput(folder);
            return new LocalSiteFiles(folder);
        }
        if (out.startsWith("file://")) {
            Path folder;
            try {
                folder = Path.of(java.net.URI.create(out));
            } catch (IllegalArgumentException e) {
                throw FiltervisException.usage("site " + out + " is not a local file URI (" + e.getMessage() + "); write file:///absolute/path or a plain folder");
            }
            RunChoices.prepareOutput(folder);
            return new LocalSiteFiles(folder);
        }
        AtlasEngine through = remote;
        if (through == null) {
            // A Hadoop site with the local engine: written through any installed engine's file-system libraries.
            through = engines.values().stream().findFirst().orElse(null);
        }
        if (through == null) {
            throw FiltervisException.usage("site " + out + " is on a file system only an engine plugin reaches, and none is installed; write to a folder");
        }
        AtlasEngine e = through;
        return call(e, () -> e.site(out)).orElseThrow(() -> FiltervisException.usage("engine '" + e.name() + "' reaches no file system for " + out));
    }

    /** Calls into an engine with its class loader as the thread's context class loader (frameworks find their services through it). */
    static <T> T call(AtlasEngine engine, java.util.function.Supplier<T> body) {
        return org.filtervis.core.plugin.ContextLoader.callIn(engine, body);
    }

    /** blocks, all, or names (each must be a layer with height and width). */
    public static List<Atlas.Layer> chooseLayers(List<LayerInfo> all, String spec) {
        List<Atlas.Layer> out = new ArrayList<>();
        if (spec.equals("blocks") || spec.equals("all")) {
            for (LayerInfo l : all) {
                if (l.shape().size() == 4 && (spec.equals("all") || l.suggested())) {
                    out.add(new Atlas.Layer(l.name(), l.opType(), l.shape(), l.channels()));
                }
            }
            if (out.isEmpty()) {
                throw FiltervisException.usage("the model has no layers with height and width to show");
            }
            return out;
        }
        for (String name : spec.split(",", -1)) {
            String n = name.strip();
            if (n.isEmpty()) {
                throw FiltervisException.usage("layers '" + spec + "' has an empty name; give blocks, all or layer names separated by commas");
            }
            LayerInfo found = all.stream().filter(l -> l.name().equals(n)).findFirst().orElseThrow(() -> FiltervisException.usage(
                    "unknown layer '" + n + "'; list them with: filtervis layers (or use the blocks)"));
            if (found.shape().size() != 4) {
                throw FiltervisException.usage("layer '" + n + "' has no height and width (shape " + found.shape() + "); the atlas shows spatial layers");
            }
            out.add(new Atlas.Layer(found.name(), found.opType(), found.shape(), found.channels()));
        }
        return out;
    }

    /** The filters of a layer: all, or those of the spec the layer has (a layer with fewer channels takes what it has). */
    public static List<Integer> filtersOf(String spec, int channels) {
        List<Integer> out = new ArrayList<>();
        if (spec == null || spec.equals("all")) {
            for (int c = 0; c < channels; c++) {
                out.add(c);
            }
            return out;
        }
        for (long[] r : FilterList.parse(spec).ranges()) {
            if (r[0] < 0) {
                throw FiltervisException.usage("filter " + r[0] + " is out of range: filters are numbered from 0");
            }
            for (long c = r[0]; c <= Math.min(r[1], channels - 1L); c++) {
                if (!out.contains((int) c)) {
                    out.add((int) c);
                }
            }
        }
        return out;
    }

    /** The model's content hash (a folder: its files' names and sizes), part of the tiles' key. */
    static String sha256(Path model) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            if (Files.isRegularFile(model)) {
                try (InputStream in = new DigestInputStream(Files.newInputStream(model), md)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            } else {
                try (var files = Files.walk(model)) {
                    for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                        md.update((model.relativize(p) + ":" + Files.size(p) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
