package org.filtervis.djl;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.TorchReferenceContract;

class DjlTorchReferenceTest extends TorchReferenceContract {
    @Override
    protected ModelBackend backend() {
        return DjlTestBackend.INSTANCE;
    }
}
