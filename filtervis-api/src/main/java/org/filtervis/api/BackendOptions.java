package org.filtervis.api;

/**
 * How a backend should run.
 *
 * @param device  one of {@link BackendProvider#devices()}, e.g. {@code cpu}
 * @param threads number of compute threads the framework may use; 0 means its own default
 */
public record BackendOptions(String device, int threads) {
    public static BackendOptions defaults() {
        return new BackendOptions("cpu", 0);
    }
}
