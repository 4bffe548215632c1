package org.filtervis.tf;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.AttributionContract;

class TfAttributionTest extends AttributionContract {
    @Override
    protected ModelBackend backend() {
        return TfTestBackend.INSTANCE;
    }
}
