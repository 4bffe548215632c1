package org.filtervis.djl;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.ObjectiveContract;

class DjlObjectiveTest extends ObjectiveContract {
    @Override
    protected ModelBackend backend() {
        return DjlTestBackend.INSTANCE;
    }
}
