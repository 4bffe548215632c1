package org.filtervis.onnx;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.AttributionContract;

class OnnxAttributionTest extends AttributionContract {
    @Override
    protected ModelBackend backend() {
        return OnnxTestBackend.INSTANCE;
    }
}
