package org.filtervis.onnx;

import org.filtervis.api.BackendOptions;
import org.filtervis.api.ModelBackend;
import org.filtervis.testkit.ObjectiveContract;
import org.filtervis.testkit.OperatorContract;
import org.filtervis.testkit.TorchReferenceContract;
import org.junit.jupiter.api.Nested;

/**
 * The backward pass in {@link org.filtervis.graph.autodiff.Lowering#PLAIN}'s forms (ReLU masks by
 * comparison, ConvTranspose for every convolution, no layout hints) passes the same contracts as
 * ONNX Runtime's own lowering: the rules are right on their own, and the lowering only changes forms.
 */
class OnnxPlainLoweringTest {
    static final ModelBackend PLAIN = new OnnxBackend(new BackendOptions("cpu", 2), true);

    @Nested
    class Operators extends OperatorContract {
        @Override
        protected ModelBackend backend() {
            return PLAIN;
        }
    }

    @Nested
    class Objectives extends ObjectiveContract {
        @Override
        protected ModelBackend backend() {
            return PLAIN;
        }
    }

    @Nested
    class AgainstPyTorch extends TorchReferenceContract {
        @Override
        protected ModelBackend backend() {
            return PLAIN;
        }
    }
}
