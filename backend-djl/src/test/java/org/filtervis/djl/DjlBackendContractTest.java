package org.filtervis.djl;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.OnnxBackendContract;

class DjlBackendContractTest extends OnnxBackendContract {
    @Override
    protected ModelBackend backend() {
        return DjlTestBackend.INSTANCE;
    }
}
