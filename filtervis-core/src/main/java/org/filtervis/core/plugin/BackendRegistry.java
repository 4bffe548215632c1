package org.filtervis.core.plugin;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.ModelBackend;

/**
 * Every plugin found on the class path and in the plugins folder (one class loader per
 * sub-folder, jars in name order): backends ({@link BackendProvider}), and any other kind of plugin
 * through {@link #services} (the atlas's engines). A broken jar or provider is reported in
 * {@link #problems()} and skipped; the others still load. Two providers with one name are an
 * error naming both jars.
 */
public final class BackendRegistry {
    private final Map<String, BackendProvider> providers = new LinkedHashMap<>();
    /** The host's loader, then each plugin folder's: where any other kind of plugin is looked up ({@link #services}). */
    private final List<ClassLoader> loaders = new ArrayList<>();
    private final Map<ClassLoader, String> where = new java.util.HashMap<>();
    private final List<String> problems = new ArrayList<>();

    private BackendRegistry() {}

    /** Discovers backends on the class path and, if {@code pluginsDir} exists, in its sub-folders. */
    public static BackendRegistry discover(Path pluginsDir) {
        return discover(pluginsDir == null ? List.of() : List.of(pluginsDir));
    }

    /**
     * Discovers backends on the class path and in the sub-folders of every existing folder of
     * {@code pluginsDirs} (the distribution's own, then the user's): a plugin folder reached twice
     * loads once; a jar placed directly in a plugins folder is reported, since it needs a folder of its own.
     */
    public static BackendRegistry discover(List<Path> pluginsDirs) {
        BackendRegistry registry = new BackendRegistry();
        ClassLoader host = BackendProvider.class.getClassLoader();
        registry.load(ServiceLoader.load(BackendProvider.class, host), "class path");
        registry.loaders.add(host);
        registry.where.put(host, "class path");
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (Path pluginsDir : pluginsDirs) {
            if (pluginsDir == null || !Files.isDirectory(pluginsDir)) {
                continue;
            }
            for (Path entry : sorted(pluginsDir)) {
                if (Files.isDirectory(entry)) {
                    if (seen.add(realPath(entry))) {
                        registry.loadFolder(entry, host);
                    }
                } else if (entry.getFileName().toString().endsWith(".jar")) {
                    registry.problems.add("plugin jar " + entry + " sits directly in the plugins folder; put each plugin in a folder of its own ("
                            + pluginsDir.resolve("NAME").resolve(entry.getFileName()) + "); skipped it");
                }
            }
        }
        return registry;
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private void loadFolder(Path folder, ClassLoader host) {
        List<URL> jars = new ArrayList<>();
        for (Path jar : sorted(folder)) {
            if (!jar.getFileName().toString().endsWith(".jar")) {
                continue;
            }
            try (JarFile ignored = new JarFile(jar.toFile())) {
                jars.add(jar.toUri().toURL());
            } catch (IOException e) {
                problems.add("plugin jar " + jar + " is not a readable jar (" + e.getMessage() + "); skipped it");
            }
        }
        if (jars.isEmpty()) {
            return;
        }
        PluginClassLoader loader = new PluginClassLoader("plugin-" + folder.getFileName(), jars.toArray(URL[]::new), host);
        loaders.add(loader);
        where.put(loader, folder.toString());
        if (!hasServices(jars)) {
            problems.add("plugin folder " + folder + " holds no plugin (no META-INF/services entry in its jars); skipped it");
            return;
        }
        load(ServiceLoader.load(BackendProvider.class, loader), folder.toString());
    }

    private static boolean hasServices(List<URL> jars) {
        for (URL u : jars) {
            try (JarFile j = new JarFile(new java.io.File(u.toURI()))) {
                if (j.stream().anyMatch(e -> e.getName().startsWith("META-INF/services/") && !e.isDirectory())) {
                    return true;
                }
            } catch (IOException | java.net.URISyntaxException e) {
                // a jar that cannot be read was reported when the folder was listed
            }
        }
        return false;
    }

    /**
     * Every plugin of another kind than a backend (an atlas engine, say), from the class path and
     * each plugin folder, in that order. One that fails to load is reported and skipped.
     */
    public <T> List<T> services(Class<T> type) {
        List<T> found = new ArrayList<>();
        for (ClassLoader loader : loaders) {
            Iterator<T> it = ServiceLoader.load(type, loader).iterator();
            while (true) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    found.add(it.next());
                } catch (ServiceConfigurationError | LinkageError e) {
                    problems.add("a " + type.getSimpleName() + " in " + where.get(loader) + " failed to load (" + e.getMessage() + "); skipped it");
                }
            }
        }
        return found;
    }

    private void load(ServiceLoader<BackendProvider> loader, String where) {
        Iterator<BackendProvider> it = loader.iterator();
        while (true) {
            BackendProvider p;
            try {
                if (!it.hasNext()) {
                    return;
                }
                p = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                problems.add("a backend in " + where + " failed to load (" + e.getMessage() + "); skipped it");
                continue;
            }
            register(p, where);
        }
    }

    private void register(BackendProvider p, String where) {
        String name;
        try {
            name = p.name();
            int version = p.spiVersion();
            // The SPI grows by default methods: an older provider still works, a newer one may call what is not here.
            if (version < BackendProvider.OLDEST_SPI_VERSION || version > BackendProvider.SPI_VERSION) {
                problems.add("backend '" + name + "' in " + location(p) + " was built for SPI version " + version + ", this filtervis runs "
                        + BackendProvider.OLDEST_SPI_VERSION + " to " + BackendProvider.SPI_VERSION
                        + "; skipped it: rebuild it against this filtervis-api");
                return;
            }
        } catch (RuntimeException | LinkageError e) {
            problems.add("a backend in " + where + " (" + p.getClass().getName() + ") is broken (" + e + "); skipped it");
            return;
        }
        BackendProvider earlier = providers.get(name);
        if (earlier != null) {
            throw FiltervisException.failure("two backends are named '" + name + "': " + location(earlier) + " and " + location(p)
                    + "; remove one of them");
        }
        providers.put(name, p);
    }

    static String location(BackendProvider p) {
        var source = p.getClass().getProtectionDomain().getCodeSource();
        return source == null ? p.getClass().getName() : source.getLocation().getPath();
    }

    private static List<Path> sorted(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public Map<String, BackendProvider> providers() {
        return providers;
    }

    /** What went wrong while loading plugins: one line each, for the console. */
    public List<String> problems() {
        return problems;
    }

    /**
     * The backend to use: the named one, or when {@code name} is null the first that opens the
     * model's format.
     */
    public static BackendProvider choose(Map<String, BackendProvider> providers, String name, Path model) {
        if (name != null) {
            BackendProvider p = providers.get(name);
            if (p == null) {
                throw FiltervisException.usage("no backend named '" + name + "'; available: " + String.join(", ", new java.util.TreeSet<>(providers.keySet())));
            }
            return p;
        }
        return providers.values().stream().filter(p -> p.canOpen(model)).findFirst().orElseThrow(() -> FiltervisException.failure(
                "no backend opens " + model.getFileName() + " (not a model format any backend knows); available: " + describe(providers) + " (pick one with --backend)"));
    }

    private static String describe(Map<String, BackendProvider> providers) {
        if (providers.isEmpty()) {
            return "none (is the plugins folder there?)";
        }
        List<String> names = new ArrayList<>();
        providers.forEach((n, p) -> names.add(n + " " + p.modelFormats()));
        return String.join(", ", names);
    }

    /**
     * Creates the backend with the provider's class loader as context loader, as plugins expect;
     * the backend, and the models and gradient providers it returns, keep it so on every call.
     */
    public static ModelBackend create(BackendProvider p, BackendOptions options) {
        requirePrecision(p, options.precision(), CpuFeatures.detect());
        ClassLoader loader = p.getClass().getClassLoader();
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return PluginCalls.wrap(ModelBackend.class, p.create(options), loader);
        } finally {
            t.setContextClassLoader(before);
        }
    }

    /**
     * Test hook: {@code -Dfiltervis.bf16.withoutHardware=true} lets a backend that has a bf16 path
     * run it on a CPU without bf16 arithmetic (slowly, emulated), so its numbers can be checked here.
     */
    static final String BF16_WITHOUT_HARDWARE = "filtervis.bf16.withoutHardware";

    /** Refuses a precision the backend does not offer on this CPU, in one line saying why. */
    static void requirePrecision(BackendProvider p, String precision, CpuFeatures cpu) {
        if (!precision.equals(BackendOptions.FP32) && !precision.equals(BackendOptions.BF16)) {
            throw FiltervisException.usage("--precision " + precision + " is not fp32 or bf16");
        }
        java.util.Set<String> flags = cpu.flags();
        if (Boolean.getBoolean(BF16_WITHOUT_HARDWARE)) {
            flags = new java.util.HashSet<>(flags);
            flags.add("avx512_bf16");
        }
        if (p.precisions(flags).contains(precision)) {
            return;
        }
        if (precision.equals(BackendOptions.BF16) && !cpu.bf16() && !Boolean.getBoolean(BF16_WITHOUT_HARDWARE)) {
            throw FiltervisException.usage("--precision bf16 needs a CPU with AMX (amx_bf16) or AVX512_BF16, and this one has neither: "
                    + cpu.describe() + "; use --precision fp32");
        }
        throw FiltervisException.usage("backend " + p.name() + " computes in " + String.join(", ", p.precisions(flags))
                + " only on this machine, not --precision " + precision + " (filtervis backends lists what each offers); use --precision fp32"
                + (p.precisions(flags).contains(BackendOptions.BF16) ? "" : " or a backend with bf16"));
    }
}
