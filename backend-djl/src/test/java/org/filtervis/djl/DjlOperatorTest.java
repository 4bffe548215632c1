package org.filtervis.djl;

import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.OperatorContract;

class DjlOperatorTest extends OperatorContract {
    @Override
    protected ModelBackend backend() {
        return DjlTestBackend.INSTANCE;
    }
}
