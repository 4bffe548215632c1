package org.filtervis.core.atlas;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.core.Session;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.lucid.InputRange;
import org.filtervis.core.photos.ExamplesJob;
import org.filtervis.core.photos.Photos;
import org.filtervis.core.photos.TopK;

/**
 * The atlas's dataset examples: the scan ({@link ExamplesJob}) of a photo collection into the
 * site's {@code examples/} folder, then, per filter, the recipe's own objective on its best photo,
 * so each visualization's objective can be set against the best natural example's: a ratio far
 * above 1 is a visualization that excites the unit as no photo of the collection does.
 */
final class AtlasExamples {
    private AtlasExamples() {}

    static AtlasSite.Examples find(Session session, org.filtervis.core.photos.PhotoSource images, InputRange range, List<Atlas.Layer> chosen, Map<String, List<Integer>> perLayer,
            int px, int batch, Recipe used, Path site, TileStore store, Consumer<String> notes) {
        List<String> names = chosen.stream().map(Atlas.Layer::name).toList();
        ExamplesJob job = new ExamplesJob(images, names, AtlasRun.EXAMPLES_TOP, 0, "max", range, px, batch, site.resolve("examples"), "atlas");
        ExamplesJob.Result scan = job.run(session, notes);
        Model model = session.model();
        Map<String, Map<Integer, AtlasSite.Example>> out = new LinkedHashMap<>();
        for (Atlas.Layer l : chosen) {
            List<Integer> filters = perLayer.get(l.name());
            ExamplesJob.Scanned s = scan.layers().get(l.name());
            Map<Integer, AtlasSite.Example> byFilter = new LinkedHashMap<>();
            double[] photoObjective = objectives(model, l.name(), filters, s, images, range, px, batch, used);
            for (int i = 0; i < filters.size(); i++) {
                int f = filters.get(i);
                List<TopK.Example> best = s.top()[f].best();
                List<String> crops = new ArrayList<>();
                for (int r = 0; r < best.size(); r++) {
                    crops.add("examples/" + ExamplesJob.exampleFile(l.name(), f, "top", r));
                }
                TileStore.Tile t = store.read(l.name(), f);
                Double ratio = null;
                if (t != null && t.objectives().length > 0 && photoObjective[i] > 0) {
                    ratio = t.objectives()[t.objectives().length - 1] / photoObjective[i];
                }
                byFilter.put(f, new AtlasSite.Example(crops, best.stream().map(TopK.Example::image).toList(), photoObjective[i], ratio));
            }
            out.put(l.name(), byFilter);
        }
        return new AtlasSite.Examples(out, scan.images());
    }

    /** The recipe's objective (its fused channel path) of each filter on that filter's best photo; NaN for a filter without one. */
    private static double[] objectives(Model model, String layer, List<Integer> filters, ExamplesJob.Scanned s, org.filtervis.core.photos.PhotoSource images, InputRange range, int px,
            int batch, Recipe used) {
        double[] out = new double[filters.size()];
        java.util.Arrays.fill(out, Double.NaN);
        try (GradientProvider g = model.gradients(layer, px, px, used.border())) {
            int per = g.input().elements();
            int atOnce = Math.max(1, Math.min(batch, g.maxBatch()));
            for (int start = 0; start < filters.size(); start += atOnce) {
                List<Integer> chunk = new ArrayList<>();
                List<float[]> inputs = new ArrayList<>();
                for (int i = start; i < Math.min(filters.size(), start + atOnce); i++) {
                    List<TopK.Example> best = s.top()[filters.get(i)].best();
                    if (!best.isEmpty()) {
                        String name = best.get(0).image();
                        inputs.add(Photos.modelInput(Photos.read(images.read(name), name, px), px, range, g.input()));
                        chunk.add(i);
                    }
                }
                if (chunk.isEmpty()) {
                    continue;
                }
                float[] x = new float[chunk.size() * per];
                int[] f = new int[chunk.size()];
                for (int k = 0; k < chunk.size(); k++) {
                    System.arraycopy(inputs.get(k), 0, x, k * per, per);
                    f[k] = filters.get(chunk.get(k));
                }
                float[] objectives = new float[chunk.size()];
                g.compute(x, f, objectives, new float[x.length]);
                for (int k = 0; k < chunk.size(); k++) {
                    out[chunk.get(k)] = objectives[k];
                }
            }
        }
        return out;
    }
}
