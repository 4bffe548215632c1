package org.filtervis.onnx;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.TorchReferenceContract;

class OnnxTorchReferenceTest extends TorchReferenceContract {
    @Override
    protected ModelBackend backend() {
        return OnnxTestBackend.INSTANCE;
    }
}
