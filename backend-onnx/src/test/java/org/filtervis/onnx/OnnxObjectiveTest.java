package org.filtervis.onnx;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.ObjectiveContract;

class OnnxObjectiveTest extends ObjectiveContract {
    @Override
    protected ModelBackend backend() {
        return OnnxTestBackend.INSTANCE;
    }
}
