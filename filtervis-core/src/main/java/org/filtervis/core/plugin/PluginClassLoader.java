package org.filtervis.core.plugin;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * The class loader of one plugin folder: its jars, over the platform loader. The SPI package
 * ({@code org.filtervis.api}) always comes from the application, so a plugin's own libraries
 * (ONNX Runtime, Guice, Spark, ...) never clash with the host's or another plugin's. Other
 * filtervis classes a plugin does not bundle come from the application too: an engine plugin
 * works on the host's atlas classes (core), while a backend keeps the graph library it ships.
 */
final class PluginClassLoader extends URLClassLoader {
    private static final String API_PACKAGE = "org.filtervis.api.";
    private final ClassLoader apiLoader;

    PluginClassLoader(String name, URL[] jars, ClassLoader apiLoader) {
        super(name, jars, ClassLoader.getPlatformClassLoader());
        this.apiLoader = apiLoader;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith(API_PACKAGE)) {
            return apiLoader.loadClass(name);
        }
        try {
            return super.loadClass(name, resolve);
        } catch (ClassNotFoundException e) {
            if (name.startsWith(OURS)) {
                return apiLoader.loadClass(name);
            }
            throw e;
        }
    }

    private static final String OURS = "org.filtervis.";
}
