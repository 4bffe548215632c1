package org.filtervis.djl;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.RealModelContract;

class DjlRealModelTest extends RealModelContract {
    @Override
    protected ModelBackend backend() {
        return DjlTestBackend.INSTANCE;
    }
}
