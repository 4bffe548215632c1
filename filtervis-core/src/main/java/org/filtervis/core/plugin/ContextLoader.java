package org.filtervis.core.plugin;

import java.util.function.Supplier;

/** Calls into a plugin object with its class loader as the thread's context class loader (frameworks inside find their services through it). */
public final class ContextLoader {
    private ContextLoader() {}

    public static <T> T callIn(Object plugin, Supplier<T> body) {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(plugin.getClass().getClassLoader());
        try {
            return body.get();
        } finally {
            thread.setContextClassLoader(before);
        }
    }
}
