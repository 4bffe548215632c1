package org.filtervis.onnx;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.OnnxBackendContract;

class OnnxBackendContractTest extends OnnxBackendContract {
    @Override
    protected ModelBackend backend() {
        return OnnxTestBackend.INSTANCE;
    }
}
