package org.filtervis.tf;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.OperatorContract;

class TfOperatorTest extends OperatorContract {
    @Override
    protected ModelBackend backend() {
        return TfTestBackend.INSTANCE;
    }
}
