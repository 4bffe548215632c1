package org.filtervis.tf;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.OnnxBackendContract;

class TfBackendContractTest extends OnnxBackendContract {
    @Override
    protected ModelBackend backend() {
        return TfTestBackend.INSTANCE;
    }
}
