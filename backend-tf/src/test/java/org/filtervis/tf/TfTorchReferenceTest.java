package org.filtervis.tf;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.TorchReferenceContract;

class TfTorchReferenceTest extends TorchReferenceContract {
    @Override
    protected ModelBackend backend() {
        return TfTestBackend.INSTANCE;
    }
}
