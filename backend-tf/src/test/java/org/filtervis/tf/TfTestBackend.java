package org.filtervis.tf;

import org.filtervis.api.BackendOptions;
import org.filtervis.api.ModelBackend;

/** One backend for all the contract tests of this module (the framework loads once per JVM anyway). */
final class TfTestBackend {
    static final ModelBackend INSTANCE = new TfBackendProvider().create(new BackendOptions("cpu", 2));

    private TfTestBackend() {}
}
