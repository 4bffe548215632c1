package org.filtervis.onnx;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.RealModelContract;

class OnnxRealModelTest extends RealModelContract {
    @Override
    protected ModelBackend backend() {
        return OnnxTestBackend.INSTANCE;
    }
}
