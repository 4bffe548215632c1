package org.filtervis.core;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * The class loader of one plugin folder: its jars, over the platform loader. Only the SPI
 * package ({@code org.filtervis.api}) comes from the application, so a plugin's own libraries
 * (ONNX Runtime, Guice, ...) never clash with the host's or another plugin's.
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
        return super.loadClass(name, resolve);
    }
}
