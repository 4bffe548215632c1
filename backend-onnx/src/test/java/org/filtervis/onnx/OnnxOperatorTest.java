package org.filtervis.onnx;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.OperatorContract;

class OnnxOperatorTest extends OperatorContract {
    @Override
    protected ModelBackend backend() {
        return OnnxTestBackend.INSTANCE;
    }
}
