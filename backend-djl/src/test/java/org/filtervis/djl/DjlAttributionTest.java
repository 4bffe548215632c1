package org.filtervis.djl;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.AttributionContract;

class DjlAttributionTest extends AttributionContract {
    @Override
    protected ModelBackend backend() {
        return DjlTestBackend.INSTANCE;
    }
}
