package org.filtervis.graph.kit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The framework versions a backend was built against, from the properties file Maven filters into its jar. */
public final class BuildVersions {
    private BuildVersions() {}

    /** Reads {@code resource} (e.g. {@code /filtervis-tf.properties}) from {@code owner}'s jar. */
    public static Properties load(Class<?> owner, String resource) {
        Properties p = new Properties();
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar of " + owner.getName());
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
