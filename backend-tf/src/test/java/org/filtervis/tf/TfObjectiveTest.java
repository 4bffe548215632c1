package org.filtervis.tf;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.ObjectiveContract;

class TfObjectiveTest extends ObjectiveContract {
    @Override
    protected ModelBackend backend() {
        return TfTestBackend.INSTANCE;
    }
}
