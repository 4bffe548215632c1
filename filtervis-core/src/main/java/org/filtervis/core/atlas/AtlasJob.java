package org.filtervis.core.atlas;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.filtervis.api.BackendOptions;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.RunSettings;
import org.filtervis.core.Session;

/**
 * What any engine needs to render atlas tasks somewhere else (a Spark executor): the backend,
 * model and recipe as values that travel, the plugin folders, the site (local or Hadoop) and the tiles' key. Each
 * worker opens the backend and the model once, for all the tasks it is given.
 */
public record AtlasJob(String backend, String model, BackendOptions options, Recipe recipe, int batch, int size, List<String> pluginDirs,
        SiteFiles site, String key, List<AtlasView> views) implements Serializable {
    public AtlasJob {
        pluginDirs = List.copyOf(pluginDirs);
        views = List.copyOf(views);
    }

    /** A job rendering the channel view only. */
    public AtlasJob(String backend, String model, BackendOptions options, Recipe recipe, int batch, int size, List<String> pluginDirs, SiteFiles site,
            String key) {
        this(backend, model, options, recipe, batch, size, pluginDirs, site, key, List.of(AtlasView.CHANNEL));
    }

    /** This job with the model and plugin folders where a worker finds its own copies of them. */
    public AtlasJob at(String localModel, List<String> localPluginDirs) {
        return new AtlasJob(backend, localModel, options, recipe, batch, size, localPluginDirs, site, key, views);
    }

    /** Renders {@code tasks} in this process, storing their missing tiles; returns [rendered, already stored]. */
    public int[] render(Iterator<Atlas.Task> tasks) {
        List<Atlas.Task> mine = new ArrayList<>();
        tasks.forEachRemaining(mine::add);
        if (mine.isEmpty()) {
            return new int[] {0, 0};
        }
        List<Path> plugins = pluginDirs.stream().map(Path::of).toList();
        RunSettings settings = new RunSettings(backend, Path.of(model), options, recipe, batch);
        try (Session v = Session.open(settings, plugins)) {
            Atlas.Summary s = Atlas.runLocal(v.model(), mine, new TileStore(site, key), recipe, size, batch, views, (d, t, r, sec) -> {});
            return new int[] {s.rendered(), s.alreadyStored()};
        } catch (java.io.IOException e) {
            throw org.filtervis.api.FiltervisException.failure("cannot store the atlas's tiles in " + site.location() + " (" + e.getMessage() + ")", e);
        }
    }
}
