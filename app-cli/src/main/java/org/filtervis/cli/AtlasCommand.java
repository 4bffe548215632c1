package org.filtervis.cli;

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
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.Recipe;
import org.filtervis.core.Session;
import org.filtervis.core.atlas.Atlas;
import org.filtervis.core.atlas.AtlasJob;
import org.filtervis.core.atlas.AtlasSite;
import org.filtervis.core.atlas.TileStore;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "atlas", description = "Renders every chosen filter of a network into a static site to browse: index.html, a page per layer"
        + " and per filter. Resumable: a rerun with the same settings renders only what is missing.")
final class AtlasCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Mixin
    Filtervis.ModelOptions options;

    @Mixin
    RecipeOptions recipeOptions;

    @Option(names = "--layers", paramLabel = "blocks|all|L1,L2", description = "Layers: blocks (the suggested ones with height and width; default),"
            + " all (every layer with height and width) or a list (the demo: mixed0 to mixed5).")
    String layers;

    @Option(names = "--engine", defaultValue = "local", paramLabel = "local|spark", description = "Where it runs: local, in this process"
            + " (default); spark, as an Apache Spark job (tasks of a layer's chunk of filters).")
    String engine;

    @Option(names = "--master", paramLabel = "URL", description = "spark: the cluster, e.g. local[2], spark://HOST:7077, yarn, k8s://..."
            + " (default: spark-submit's --master when run by it, else local[N] inside this process, N the cores).")
    String master;

    @Option(names = "--out", defaultValue = "filtervis-atlas", paramLabel = "SITE", description = "The site's folder (default: ${DEFAULT-VALUE}),"
            + " or a Hadoop path such as hdfs://namenode:8020/atlas or s3a://bucket/atlas (written through the Spark engine's Hadoop libraries).")
    String out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        if (!engine.equals("local") && !engine.equals("spark")) {
            throw FiltervisException.usage("--engine " + engine + " is not local or spark");
        }
        if (master != null && !engine.equals("spark")) {
            throw FiltervisException.usage("--master belongs to --engine spark");
        }
        if (recipeOptions.layer != null || recipeOptions.objective != null) {
            throw FiltervisException.usage("atlas takes --layers (blocks, all or a list), not --layer or --objective");
        }
        if (out.isEmpty()) {
            throw FiltervisException.usage("--out is empty; name the site's folder");
        }
        if (master != null) {
            SparkMasters.check(master);
        }
        ModelFiles.Demo demo = ModelFiles.demo();
        boolean pretrainedDemo = options.model == null && demo.filters() != null;
        String layerSpec = layers != null ? layers : pretrainedDemo ? "mixed0,mixed1,mixed2,mixed3,mixed4,mixed5" : "blocks";
        String filterSpec = recipeOptions.filters != null ? recipeOptions.filters : pretrainedDemo ? "0-7" : null;
        int redirect = recipeOptions.redirectSteps(options.model, demo);
        Path modelFile = ModelFiles.resolve(options.model);
        Recipe recipe = recipeOptions.recipe(redirect, options.size, recipeOptions.lucid() ? ModelFiles.inputRange(modelFile) : Optional.empty());
        try (Session v = top.session(options.backend, modelFile, options.backendOptions(), recipe, recipeOptions.batch)) {
            Model model = v.model();
            int size = recipe.lucid() != null ? recipe.lucid().networkSize(model.input().height()) : options.size(model.input());
            List<LayerInfo> all = v.layers(size, size);
            List<Atlas.Layer> chosen = chooseLayers(all, layerSpec);
            if (redirect > 0) {
                boolean can;
                try (org.filtervis.api.GradientProvider g = model.gradients(chosen.get(0).name(), size, size)) {
                    can = g.redirectedRelu().isPresent();
                }
                if (!can && recipeOptions.redirect != null) {
                    throw FiltervisException.usage("backend '" + v.provider().name() + "' cannot redirect ReLU gradients for this model; run without --redirect-relu");
                }
                if (!can) {
                    // The demo's default, not the user's request: the plain recipe on a backend without it.
                    recipe = new Recipe(recipe.steps(), recipe.lr(), recipe.seed(), 0, recipe.lucid());
                }
            }
            Map<String, List<Integer>> filters = new LinkedHashMap<>();
            for (Atlas.Layer l : chosen) {
                List<Integer> of = filtersOf(filterSpec, l.channels());
                if (of.isEmpty()) {
                    throw FiltervisException.usage("--filters " + filterSpec + " names none of layer '" + l.name() + "''s filters 0 to "
                            + (l.channels() - 1) + "; choose filters it has");
                }
                filters.put(l.name(), of);
            }
            int mostAtOnce = Math.min(recipeOptions.batch, filters.values().stream().mapToInt(List::size).max().orElse(1));
            org.filtervis.core.Limits.activations(mostAtOnce, all, size);
            if (engine.equals("spark") && master != null) {
                // An unreachable cluster is one line before the site is started, not minutes of Spark's retries.
                SparkMasters.reachable(master);
            }
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("model", ModelFiles.describe(options.model));
            settings.put("model_sha256", sha256(modelFile));
            settings.put("backend", v.provider().name() + " (" + v.provider().version() + ")");
            settings.put("threads", options.threads);
            settings.put("precision", options.precision);
            settings.put("recipe", recipe.lucid() != null ? "lucid, " + recipe.lucid().describe() : "keras");
            settings.put("size", size);
            settings.put("steps", recipe.steps());
            settings.put("lr", recipe.lr());
            settings.put("seed", recipe.seed());
            settings.put("redirect_relu_steps", recipe.redirectSteps());
            settings.put("batch", recipeOptions.batch);
            TileStore store = new TileStore(site(), TileStore.key(settings));
            String name = options.model != null ? options.model.getFileName().toString() : modelFile.getFileName().toString();
            AtlasSite.write(name, settings, chosen, filters, store);
            List<Atlas.Task> tasks = Atlas.tasks(chosen, filters, recipeOptions.batch);
            Atlas.Progress progress = progressLine();
            Atlas.Summary s = engine.equals("spark")
                    ? spark(tasks, store, new AtlasJob(v.provider().name(), modelFile.toAbsolutePath().toString(), options.backendOptions(), recipe,
                            recipeOptions.batch, size, top.pluginsDirs().stream().map(p -> p.toAbsolutePath().toString()).toList(), store.site(),
                            store.key()), progress)
                    : Atlas.runLocal(model, tasks, store, recipe, size, recipeOptions.batch, progress);
            AtlasSite.write(name, settings, chosen, filters, store);
            if (!quiet) {
                top.err.printf(Locale.ROOT, "wrote %s (%d filters: %d rendered, %d already there; %.1f s, %.2f filters/s)%n", store.site().location("index.html"),
                        s.total(), s.rendered(), s.alreadyStored(), s.seconds(), s.rendered() / Math.max(s.seconds(), 1e-9));
            }
        }
        return 0;
    }

    /**
     * The tasks as a Spark job (engine-spark, from the class path or the distribution's
     * engines/spark folder, in a class loader of its own): a failed task's own message, one line.
     */
    private Atlas.Summary spark(List<Atlas.Task> all, TileStore store, AtlasJob job, Atlas.Progress progress) throws IOException {
        int total = all.stream().mapToInt(t -> t.filters().size()).sum();
        // Tasks whose tiles are all stored are not sent: the driver checks, Spark runs only what is missing.
        List<Atlas.Task> tasks = new ArrayList<>();
        int stored = 0;
        for (Atlas.Task t : all) {
            boolean whole = true;
            for (int f : t.filters()) {
                whole &= store.has(t.layer().name(), f);
            }
            if (whole) {
                stored += t.filters().size();
            } else {
                tasks.add(t);
            }
        }
        if (tasks.isEmpty()) {
            return new Atlas.Summary(total, 0, stored, 0);
        }
        int already = stored;
        // Under spark-submit the cluster comes from its --master, as the spark.master property.
        String url = master != null ? master : System.getProperty("spark.master", "local[" + Runtime.getRuntime().availableProcessors() + "]");
        long t0 = System.nanoTime();
        ClassLoader loader = sparkLoader();
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            if (!quiet) {
                top.err.printf("atlas: %d filters in %d task%s on Spark (%s)%s%n", total - already, tasks.size(), tasks.size() == 1 ? "" : "s", url,
                        already > 0 ? ", " + already + " already there" : "");
            }
            Atlas.Progress counted = (done, n, rendered, seconds) -> progress.filtersDone(already + done, total, rendered, seconds);
            int[] r = (int[]) Class.forName("org.filtervis.spark.SparkAtlasEngine", true, loader)
                    .getMethod("run", String.class, AtlasJob.class, List.class, boolean.class, Atlas.Progress.class)
                    .invoke(null, url, job, tasks, top.verbose, counted);
            return new Atlas.Summary(total, r[0], already + r[1], (System.nanoTime() - t0) / 1e9);
        } catch (java.lang.reflect.InvocationTargetException e) {
            FiltervisException ours = Filtervis.userError(e);
            if (ours != null) {
                throw ours; // the engine has found a task's own error in Spark's
            }
            throw FiltervisException.failure("the Spark job failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw FiltervisException.failure("cannot start the Spark engine (" + e + ")", e);
        } finally {
            thread.setContextClassLoader(before);
        }
    }

    /**
     * Where the site goes: a local folder, or a Hadoop path (a URI such as hdfs://... or s3a://...)
     * through the Spark engine's Hadoop libraries, with either engine.
     */
    private org.filtervis.core.atlas.SiteFiles site() {
        if (!out.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            Path folder = Path.of(out);
            org.filtervis.core.RunChoices.prepareOutput(folder);
            return new org.filtervis.core.atlas.LocalSiteFiles(folder);
        }
        if (out.startsWith("file://")) {
            Path folder;
            try {
                folder = Path.of(java.net.URI.create(out));
            } catch (IllegalArgumentException e) {
                throw FiltervisException.usage("--out " + out + " is not a local file URI (" + e.getMessage()
                        + "); write file:///absolute/path or a plain folder");
            }
            org.filtervis.core.RunChoices.prepareOutput(folder);
            return new org.filtervis.core.atlas.LocalSiteFiles(folder);
        }
        ClassLoader loader = sparkLoader();
        try {
            return (org.filtervis.core.atlas.SiteFiles) Class.forName("org.filtervis.spark.HadoopSiteFiles", true, loader).getMethod("open", String.class)
                    .invoke(null, out);
        } catch (java.lang.reflect.InvocationTargetException e) {
            FiltervisException ours = Filtervis.userError(e);
            throw ours != null ? ours : FiltervisException.failure("cannot use --out " + out + " (" + e.getCause() + ")", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw FiltervisException.failure("cannot start the Spark engine's Hadoop libraries (" + e + ")", e);
        }
    }

    /** engine-spark's classes: on the class path (tests), else the distribution's engines/spark folder. */
    private static ClassLoader sparkLoader;

    private static synchronized ClassLoader sparkLoader() {
        if (sparkLoader == null) {
            sparkLoader = findSparkLoader(); // one for the run: the site's classes and the job's must be the same
        }
        return sparkLoader;
    }

    private static ClassLoader findSparkLoader() {
        ClassLoader host = AtlasCommand.class.getClassLoader();
        try {
            Class.forName("org.filtervis.spark.SparkAtlasEngine", false, host);
            return host;
        } catch (ClassNotFoundException e) {
            // look in the distribution
        }
        String home = System.getProperty("filtervis.home");
        Path dir = home == null ? null : Path.of(home, "engines", "spark");
        if (dir == null || !Files.isDirectory(dir)) {
            throw FiltervisException.usage("the Spark engine is not installed (no engines/spark folder in the distribution); use --engine local");
        }
        try (var jars = Files.list(dir)) {
            java.net.URL[] urls = jars.filter(p -> p.toString().endsWith(".jar")).sorted().map(p -> {
                try {
                    return p.toUri().toURL();
                } catch (java.net.MalformedURLException e) {
                    throw new IllegalStateException(e);
                }
            }).toArray(java.net.URL[]::new);
            return new java.net.URLClassLoader("filtervis-spark", urls, host);
        } catch (IOException e) {
            throw FiltervisException.failure("cannot read " + dir + " (" + e.getMessage() + ")", e);
        }
    }

    /** One progress line across the whole atlas, redrawn in place on a terminal, at most once a second: filters done, filters/s, time left. */
    private Atlas.Progress progressLine() {
        long[] lastPrint = {0};
        return (done, total, rendered, seconds) -> {
            if (quiet) {
                return;
            }
            synchronized (lastPrint) {
                long now = System.nanoTime();
                if (done < total && now - lastPrint[0] < 1_000_000_000L) {
                    return;
                }
                lastPrint[0] = now;
                double rate = rendered / Math.max(seconds, 1e-9);
                String left = rendered == 0 ? "" : String.format(Locale.ROOT, ", %s left", duration((total - done) / rate));
                top.err.printf(Locale.ROOT, "%satlas: %d/%d filters, %.2f filters/s%s%s", top.terminal ? "\r" : "", done, total, rate, left,
                        top.terminal && done < total ? "" : "\n");
            }
        };
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d h %02d min", s / 3600, s / 60 % 60) : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }

    /** blocks, all, or names (each must be a layer with height and width). */
    static List<Atlas.Layer> chooseLayers(List<LayerInfo> all, String spec) {
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
        String[] names = spec.split(",", -1);
        for (String name : names) {
            String n = name.strip();
            if (n.isEmpty()) {
                throw FiltervisException.usage("--layers '" + spec + "' has an empty name; give blocks, all or layer names separated by commas");
            }
            LayerInfo found = all.stream().filter(l -> l.name().equals(n)).findFirst().orElseThrow(() -> FiltervisException.usage(
                    "unknown layer '" + n + "'; list them with: filtervis layers --model M (or use --layers blocks)"));
            if (found.shape().size() != 4) {
                throw FiltervisException.usage("layer '" + n + "' has no height and width (shape " + found.shape() + "); the atlas shows spatial layers");
            }
            out.add(new Atlas.Layer(found.name(), found.opType(), found.shape(), found.channels()));
        }
        return out;
    }

    /** The filters of a layer: all, or those of the spec the layer has (a layer with fewer channels takes what it has). */
    static List<Integer> filtersOf(String spec, int channels) {
        List<Integer> out = new ArrayList<>();
        if (spec == null || spec.equals("all")) {
            for (int c = 0; c < channels; c++) {
                out.add(c);
            }
            return out;
        }
        for (long[] r : org.filtervis.core.FilterList.parse(spec).ranges()) {
            if (r[0] < 0) {
                throw FiltervisException.usage("filter " + r[0] + " is out of range: filters are numbered from 0");
            }
            for (long c = Math.max(0, r[0]); c <= Math.min(r[1], channels - 1L); c++) {
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
