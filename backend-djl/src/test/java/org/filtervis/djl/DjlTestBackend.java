package org.filtervis.djl;

import org.filtervis.api.BackendOptions;
import org.filtervis.api.ModelBackend;

/** One backend for all the contract tests of this module (the framework loads once per JVM anyway). */
final class DjlTestBackend {
    static final ModelBackend INSTANCE = new DjlBackendProvider().create(new BackendOptions("cpu", 2));

    private DjlTestBackend() {}
}
