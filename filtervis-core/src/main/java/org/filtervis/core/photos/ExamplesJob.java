package org.filtervis.core.photos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.filtervis.api.Differentiator;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.core.Limits;
import org.filtervis.core.RunChoices;
import org.filtervis.core.Session;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.io.AtomicFiles;
import org.filtervis.core.io.IoMessages;
import org.filtervis.core.io.Json;
import org.filtervis.core.lucid.InputRange;

/**
 * Dataset examples: the photos of a collection that most (and least) excite each channel of some
 * layers, found in one streaming pass (NetDissect's and MILAN's top-k exemplars). Photos are
 * prepared as {@code explain} prepares them and go through the backend in batches; for each
 * layer, channel and photo the activation map is reduced to one value (its spatial maximum, or
 * its mean) with the position of its maximum, and each channel keeps its K best in a bounded heap
 * ({@link TopK}), so memory is O(layers x channels x K) whatever the number of photos. Then
 * {@link ExamplesPages} reads the kept photos again for their crops and maps and the page, and
 * {@code OUT/examples.json} is written, whole.
 *
 * @param images the collection: a local folder (walked recursively, {@link PhotoWalk}), one photo, or a Hadoop folder an engine reaches
 * @param layers layer names, or the single word {@code blocks} for the model's block outputs, or {@code all}
 * @param top    K largest per channel
 * @param bottom K smallest per channel (0 for none)
 * @param reduce {@code max} or {@code mean}
 * @param range  the model's pixel range
 * @param size   the network size asked for, or null for the model's own (else 224)
 * @param batch  photos per backend call
 * @param out    the output folder
 * @param model  how examples.json names the model
 */
public record ExamplesJob(PhotoSource images, List<String> layers, int top, int bottom, String reduce, InputRange range, Integer size, int batch,
        Path out, String model) {
    /** The most examples kept per channel and end. */
    public static final int MAX_K = 1000;
    /** The network size when the model does not fix one. */
    public static final int DEFAULT_SIZE = 224;

    public ExamplesJob {
        if (out == null || out.toString().isEmpty()) {
            throw FiltervisException.usage("the output folder is empty; name one");
        }
        if (layers.isEmpty()) {
            throw FiltervisException.usage("no layers given; name layers, or blocks for the model's block outputs");
        }
        if (top < 1 || top > MAX_K) {
            throw FiltervisException.usage("top examples " + top + " is not 1 to " + MAX_K);
        }
        if (bottom < 0 || bottom > MAX_K) {
            throw FiltervisException.usage("bottom examples " + bottom + " is not 0 to " + MAX_K);
        }
        if (!reduce.equals("max") && !reduce.equals("mean")) {
            throw FiltervisException.usage("reduction " + reduce + " is not max or mean");
        }
        Limits.batch(batch);
        layers = List.copyOf(layers);
    }

    /** A kept photo as the network saw it, relative to the scan's output. */
    public static String photoFile(String image) {
        return ExamplesPages.photoFile(image);
    }

    /** An example's crop, relative to the scan's output ({@code _map.png} beside it is its map, at the layer's resolution). */
    public static String exampleFile(String layer, int channel, String end, int rank) {
        return ExamplesPages.file(layer, channel, end, rank) + ".png";
    }

    /** What the scan found: the photos read, those skipped, and each layer's channels' examples. */
    public record Result(int images, List<Map<String, Object>> skipped, Map<String, Scanned> layers) implements java.io.Serializable {}

    /** One layer's examples: its per-image shape [C, H, W] and each channel's top and bottom. */
    public record Scanned(long[] shape, TopK[] top, TopK[] bottom) implements java.io.Serializable {}

    /**
     * What a worker elsewhere (a Spark executor) needs to scan its share: the backend and model as
     * values that travel, the plugin folders, and this job's settings with the layers and size the
     * driver settled on. The collection's path must be one every worker reads (a shared file system).
     */
    public record Work(String backend, String model, org.filtervis.api.BackendOptions options, List<String> pluginDirs, PhotoSource images,
            List<String> layers, int top, int bottom, String reduce, InputRange range, int size, int batch, ScanParts parts) implements java.io.Serializable {
        public Work {
            pluginDirs = List.copyOf(pluginDirs);
            layers = List.copyOf(layers);
        }

        /** Scans {@code photos} in this process: the backend and model opened once, heaps of its own. */
        public Result scan(java.util.Iterator<String> photos) {
            List<String> mine = new ArrayList<>();
            photos.forEachRemaining(mine::add);
            ExamplesJob job = new ExamplesJob(images, layers, top, bottom, reduce, range, size, batch, Path.of("."), model);
            org.filtervis.core.RunSettings settings = new org.filtervis.core.RunSettings(backend, Path.of(model), options, Recipe.keras(), batch);
            try (Session s = Session.open(settings, pluginDirs.stream().map(Path::of).toList())) {
                return job.scanPart(s, mine);
            }
        }
    }

    /** The work to send to an engine for this job, with the layers and size the driver chose. */
    public Work work(String backend, Path modelFile, org.filtervis.api.BackendOptions options, List<String> pluginDirs, List<String> chosen, int px) {
        String settings = String.join("\n", backend, modelKey(modelFile), String.valueOf(options), images.describe(), String.join(",", chosen),
                top + " " + bottom + " " + reduce + " " + px + " " + batch, range.describe());
        return new Work(backend, modelFile.toAbsolutePath().toString(), options, pluginDirs, images, chosen, top, bottom,
                reduce, range, px, batch, ScanParts.of(out, settings));
    }

    /** The model's content, for the parts' key: its bytes' hash (a folder: its files' names and sizes). */
    private static String modelKey(Path model) {
        try {
            if (Files.isDirectory(model)) {
                try (var s = Files.walk(model)) {
                    return ScanParts.hash(s.filter(Files::isRegularFile).sorted().map(p -> model.relativize(p) + " " + p.toFile().length())
                            .collect(java.util.stream.Collectors.joining("\n")));
                }
            }
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(model)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            return model.toString();
        }
    }

    /** Two scans of different photos as one: the sum of the photos, both skipped lists, each channel's heaps merged. */
    public static Result merge(Result a, Result b) {
        List<Map<String, Object>> skipped = new ArrayList<>(a.skipped());
        skipped.addAll(b.skipped());
        for (var e : a.layers().entrySet()) {
            Scanned other = b.layers().get(e.getKey());
            for (int c = 0; c < e.getValue().top().length; c++) {
                e.getValue().top()[c].merge(other.top()[c]);
                e.getValue().bottom()[c].merge(other.bottom()[c]);
            }
        }
        return new Result(a.images() + b.images(), skipped, a.layers());
    }

    /** Scans the collection and writes examples.json; notes (a photo skipped) go to {@code notes}. */
    public Result run(Session session, Consumer<String> notes) {
        return run(session, null, null, null, false, notes);
    }

    /**
     * As above, the scan itself on {@code engine} (null: in this process) with {@code work}'s
     * settings; the driver walks the collection, and writes the pictures and examples.json.
     */
    public Result run(Session session, ExamplesEngine engine, java.util.function.BiFunction<List<String>, Integer, Work> work, String master,
            boolean verbose, Consumer<String> notes) {
        Model model = session.model();
        int px = networkSize(model);
        List<String> chosen = chooseLayers(session.layers(px, px));
        try (Differentiator d = differentiator(model, chosen, px)) {
            int atOnce = Math.max(1, Math.min(batch, d.maxBatch()));
            Limits.images(atOnce, d.input().elements());
            Result result;
            long t0 = System.nanoTime();
            if (engine == null) {
                result = scanWith(d, heaps(d, chosen), px, images::walk, notes);
            } else {
                List<String> photos = new ArrayList<>();
                List<Map<String, Object>> walked = new ArrayList<>();
                images.walk(new PhotoWalk.Visitor() {
                    @Override
                    public void photo(Path file, String relative) {
                        photos.add(relative);
                    }

                    @Override
                    public void skipped(String relative, String reason) {
                        walked.add(skip(relative, reason));
                    }
                });
                Result part = photos.isEmpty() ? new Result(0, List.of(), heaps(d, chosen)) : onParts(engine, work.apply(chosen, px), photos, master,
                        verbose, notes, heaps(d, chosen));
                walked.addAll(part.skipped());
                sortByPath(walked);
                walked.forEach(m -> notes.accept("skipped " + m.get("image") + ": " + m.get("reason")));
                result = new Result(part.images(), walked, part.layers());
            }
            if (result.images() == 0) {
                throw FiltervisException.usage("no photo under " + images.describe() + " could be read" + (result.skipped().isEmpty() ? "" : " ("
                        + result.skipped().size() + " skipped, first: " + result.skipped().get(0).get("image") + ": " + result.skipped().get(0).get("reason")
                        + ")") + "; give a folder of PNG or JPEG photos");
            }
            double scanned = (System.nanoTime() - t0) / 1e9;
            RunChoices.prepareOutput(out);
            Map<String, java.util.Optional<org.filtervis.api.ReceptiveField>> fields = new LinkedHashMap<>();
            chosen.forEach(l -> fields.put(l, model.receptiveField(l)));
            long t1 = System.nanoTime();
            ExamplesPages.write(out, images, result.layers(), fields, d, px, range, atOnce, notes);
            write(result);
            notes.accept(String.format(java.util.Locale.ROOT, "scanned %d photos in %.1f s (%.1f photos/s); the examples' crops, maps and page in %.1f s",
                    result.images(), scanned, result.images() / Math.max(scanned, 1e-9), (System.nanoTime() - t1) / 1e9));
            return result;
        }
    }

    /** Photos per partition on an engine: enough to fill several batches, few enough for a retried partition to cost little. */
    static final int PER_PARTITION = 256;

    /** The photos in partitions; those stored by an earlier run with the same settings read back, the rest scanned on the engine; all merged. */
    private Result onParts(ExamplesEngine engine, Work work, List<String> photos, String master, boolean verbose, Consumer<String> notes,
            Map<String, Scanned> empty) {
        List<ScanParts.Chunk> missing = new ArrayList<>();
        Result merged = new Result(0, List.of(), empty);
        int stored = 0;
        for (int i = 0, index = 0; i < photos.size(); i += PER_PARTITION, index++) {
            ScanParts.Chunk c = new ScanParts.Chunk(index, List.copyOf(photos.subList(i, Math.min(photos.size(), i + PER_PARTITION))));
            java.util.Optional<Result> kept = work.parts().load(c);
            if (kept.isPresent() && kept.get().layers().keySet().equals(empty.keySet())) {
                merged = merge(merged, kept.get());
                stored++;
            } else {
                missing.add(c);
            }
        }
        if (stored > 0) {
            notes.accept(stored + " of " + (stored + missing.size()) + " partitions were scanned before with these settings; reusing them");
        }
        if (!missing.isEmpty()) {
            merged = merge(merged, org.filtervis.core.plugin.ContextLoader.callIn(engine, () -> engine.scan(this, work, missing, master, verbose)));
        }
        return merged;
    }

    /** The installed engines by name (one engine reached twice is kept once). */
    public static Map<String, ExamplesEngine> engines(org.filtervis.core.plugin.BackendRegistry registry) {
        Map<String, ExamplesEngine> out = new LinkedHashMap<>();
        for (ExamplesEngine e : registry.services(ExamplesEngine.class)) {
            out.putIfAbsent(e.name(), e);
        }
        return out;
    }

    /** A worker's share: {@code photos} (paths under the collection) scanned into heaps of its own. */
    Result scanPart(Session session, List<String> photos) {
        Model model = session.model();
        List<String> chosen = layers;
        try (Differentiator d = differentiator(model, chosen, size)) {
            return scanWith(d, heaps(d, chosen), size, v -> photos.forEach(p -> v.photo(null, p)), note -> { });
        }
    }

    private int networkSize(Model model) {
        if (model.input().channels() != 3) {
            throw FiltervisException.usage("the model takes " + model.input().channels() + " channels; the scan reads RGB photos (3 channels)");
        }
        return RunChoices.networkSize(Recipe.keras(), size, model.input(), DEFAULT_SIZE);
    }

    private static Differentiator differentiator(Model model, List<String> chosen, int px) {
        return model.differentiator(chosen, px, px).orElseThrow(() -> FiltervisException.usage(
                "this backend cannot compute the activations of these layers; pick another --backend"));
    }

    /** Empty heaps for every channel of the layers (each must have height and width). */
    private Map<String, Scanned> heaps(Differentiator d, List<String> chosen) {
        Map<String, Scanned> scanned = new LinkedHashMap<>();
        for (String l : chosen) {
            long[] s = d.shape(l);
            if (s.length != 3) {
                throw FiltervisException.usage("layer '" + l + "' has shape " + Arrays.toString(s) + " per image, without height and width;"
                        + " pick a layer with spatial axes (filtervis layers)");
            }
            int c = (int) s[0];
            TopK[] t = new TopK[c];
            TopK[] b = new TopK[c];
            for (int i = 0; i < c; i++) {
                t[i] = new TopK(top, true);
                b[i] = new TopK(bottom, false);
            }
            scanned.put(l, new Scanned(s, t, b));
        }
        return scanned;
    }

    /** The photos {@code feed} gives to a scan, through the backend and into {@code scanned}'s heaps. */
    private Result scanWith(Differentiator d, Map<String, Scanned> scanned, int px, Consumer<PhotoWalk.Visitor> feed, Consumer<String> notes) {
        int atOnce = Math.max(1, Math.min(batch, d.maxBatch()));
        Scan scan = new Scan(d, scanned, atOnce, px, notes);
        try {
            feed.accept(scan);
            scan.finish();
        } finally {
            scan.decoders.shutdownNow();
        }
        return new Result(scan.read, scan.skipped, scanned);
    }

    private static Map<String, Object> skip(String relative, String reason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", relative);
        m.put("reason", reason);
        return m;
    }

    /** Skipped entries in byte order of their paths, as examples.json lists them. */
    private static void sortByPath(List<Map<String, Object>> skipped) {
        skipped.sort((a, b) -> java.util.Arrays.compareUnsigned(((String) a.get("image")).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                ((String) b.get("image")).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** The layers asked for, or the block outputs with height and width for {@code blocks}. */
    private List<String> chooseLayers(List<LayerInfo> all) {
        if (layers.size() == 1 && (layers.get(0).equals("blocks") || layers.get(0).equals("all"))) {
            boolean every = layers.get(0).equals("all");
            List<String> blocks = all.stream().filter(l -> (every || l.suggested()) && l.shape().size() == 4).map(LayerInfo::name).toList();
            if (blocks.isEmpty()) {
                throw FiltervisException.usage("the model names no block outputs with height and width; name layers (filtervis layers lists them)");
            }
            return blocks;
        }
        return layers;
    }

    /**
     * The streaming pass: photos decoded and prepared on a thread of their own while the backend
     * runs the batch before (at most two batches ahead), batches formed in the walk's order, each
     * through the backend and into the heaps.
     */
    private final class Scan implements PhotoWalk.Visitor {
        /** One photo on its way: decoding, or decoded. */
        private record Pending(String relative, java.util.concurrent.Future<float[]> input) {}

        final java.util.concurrent.ExecutorService decoders = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "filtervis-photo-decoder");
            t.setDaemon(true);
            return t;
        });
        final java.util.ArrayDeque<Pending> pending = new java.util.ArrayDeque<>();
        final Differentiator d;
        final Map<String, Scanned> scanned;
        final int atOnce;
        final int px;
        final Consumer<String> notes;
        final float[] x;
        final String[] names;
        final List<Map<String, Object>> skipped = new ArrayList<>();
        int filled;
        int read;

        Scan(Differentiator d, Map<String, Scanned> scanned, int atOnce, int px, Consumer<String> notes) {
            this.d = d;
            this.scanned = scanned;
            this.atOnce = atOnce;
            this.px = px;
            this.notes = notes;
            this.x = new float[atOnce * d.input().elements()];
            this.names = new String[atOnce];
        }

        @Override
        public void photo(Path file, String relative) {
            pending.add(new Pending(relative, decoders.submit(() -> Photos.modelInput(Photos.read(images.read(relative), relative, px), px, range,
                    d.input().withSize(px, px)))));
            while (pending.size() >= 2 * atOnce) {
                take();
            }
        }

        /** The oldest pending photo into the batch (or into skipped), flushing a full batch. */
        private void take() {
            Pending p = pending.poll();
            float[] in;
            try {
                in = p.input().get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof FiltervisException fe) {
                    // Photos are named by their path under the collection in every message (no local paths in the output).
                    skipped(p.relative(), fe.getMessage());
                    return;
                }
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw FiltervisException.failure("interrupted while reading " + p.relative(), e);
            }
            System.arraycopy(in, 0, x, filled * in.length, in.length);
            names[filled++] = p.relative();
            if (filled == atOnce) {
                flush();
            }
        }

        /** The rest: every pending photo, then the last, partial batch; skipped entries in path order. */
        void finish() {
            while (!pending.isEmpty()) {
                take();
            }
            flush();
            sortByPath(skipped);
        }

        @Override
        public void skipped(String relative, String reason) {
            skipped.add(skip(relative, reason));
            notes.accept("skipped " + relative + ": " + reason);
        }

        void flush() {
            if (filled == 0) {
                return;
            }
            int n = filled;
            float[] batchX = n == atOnce ? x : Arrays.copyOf(x, n * d.input().elements());
            Map<String, float[]> acts = d.activations(batchX, n);
            boolean[] bad = new boolean[n];
            for (var e : scanned.entrySet()) {
                float[] a = acts.get(e.getKey());
                int per = a.length / n;
                for (int i = 0; i < n; i++) {
                    for (int j = i * per; j < (i + 1) * per && !bad[i]; j++) {
                        bad[i] = !Float.isFinite(a[j]);
                    }
                }
            }
            for (var e : scanned.entrySet()) {
                offer(e.getValue(), acts.get(e.getKey()), n, bad);
            }
            for (int i = 0; i < n; i++) {
                if (bad[i]) {
                    skipped(names[i], "the network's activation is not finite (NaN or infinite) for this photo");
                } else {
                    read++;
                }
            }
            filled = 0;
        }

        private void offer(Scanned s, float[] a, int n, boolean[] bad) {
            int c = (int) s.shape()[0];
            int h = (int) s.shape()[1];
            int w = (int) s.shape()[2];
            int map = h * w;
            boolean mean = reduce.equals("mean");
            for (int i = 0; i < n; i++) {
                if (bad[i]) {
                    continue;
                }
                byte[] key = names[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (int ch = 0; ch < c; ch++) {
                    int base = (i * c + ch) * map;
                    int arg = 0;
                    float max = a[base];
                    double sum = 0;
                    for (int p = 0; p < map; p++) {
                        float v = a[base + p];
                        sum += v;
                        if (v > max) {
                            max = v;
                            arg = p;
                        }
                    }
                    float value = mean ? (float) (sum / map) : max;
                    TopK.Example ex = new TopK.Example(names[i], key, value, arg / w, arg % w);
                    s.top()[ch].offer(ex);
                    s.bottom()[ch].offer(ex);
                }
            }
        }
    }

    /** examples.json, exactly as documented (docs/examples.md). */
    private void write(Result r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", model);
        root.put("images", r.images());
        root.put("skipped", r.skipped());
        Map<String, Object> ls = new LinkedHashMap<>();
        for (var e : r.layers().entrySet()) {
            Scanned s = e.getValue();
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("shape", Arrays.stream(s.shape()).boxed().toList());
            layer.put("reduce", reduce);
            List<Object> channels = new ArrayList<>();
            for (int c = 0; c < s.top().length; c++) {
                Map<String, Object> ch = new LinkedHashMap<>();
                ch.put("channel", c);
                ch.put("top", examples(s.top()[c]));
                ch.put("bottom", examples(s.bottom()[c]));
                channels.add(ch);
            }
            layer.put("channels", channels);
            ls.put(e.getKey(), layer);
        }
        root.put("layers", ls);
        byte[] json = Json.write(root).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            AtomicFiles.write(out.resolve("examples.json"), o -> o.write(json));
        } catch (IOException e) {
            throw FiltervisException.failure("cannot write " + out.resolve("examples.json") + " (" + IoMessages.describe(e) + "); choose a writable --out");
        }
    }

    private static List<Object> examples(TopK k) {
        List<Object> out = new ArrayList<>();
        for (TopK.Example e : k.best()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("image", e.image());
            m.put("value", e.value());
            m.put("y", e.y());
            m.put("x", e.x());
            out.add(m);
        }
        return out;
    }
}
