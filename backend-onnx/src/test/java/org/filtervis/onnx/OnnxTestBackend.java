package org.filtervis.onnx;

import org.filtervis.api.BackendOptions;
import org.filtervis.api.ModelBackend;

/** One backend for all the contract tests of this module (the framework loads once per JVM anyway). */
final class OnnxTestBackend {
    static final ModelBackend INSTANCE = new OnnxBackendProvider().create(new BackendOptions("cpu", 2));

    private OnnxTestBackend() {}
}
