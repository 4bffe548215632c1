package org.filtervis.tf;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.RealModelContract;

class TfRealModelTest extends RealModelContract {
    @Override
    protected ModelBackend backend() {
        return TfTestBackend.INSTANCE;
    }
}
