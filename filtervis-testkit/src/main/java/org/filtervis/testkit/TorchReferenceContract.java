package org.filtervis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.core.io.Npy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Contract: whole-graph gradients against an independent implementation: PyTorch autograd in float64 on
 * the model PyTorch exported (tools/make_torch_reference.py wrote the files: opset 11,
 * BatchNorm kept, dilated, grouped and strided convolutions, overlapping max pooling, padding,
 * average pooling without padded cells, residual add, sigmoid gating, concat, clip, leaky ReLU).
 */
public abstract class TorchReferenceContract {
    /** The backend under test, shared by the tests of a class. */
    protected abstract org.filtervis.api.ModelBackend backend();

    static final int[] FILTERS = {3, 9, 3};

    @ParameterizedTest
    @CsvSource({"features, 0.2550079266127277, 0.4775097412154603, 0.23894361468864975",
        "logits, 0.10723075540621166, 0.42837498826212617, 0.12481144740289121"})
    public void gradientsEqualPyTorchAutograd(String layer, double o0, double o1, double o2) throws Exception {
        Npy.Array x = Npy.read(resource("mixed_x.npy"));
        float[] expected = Npy.read(resource("mixed_" + layer + "_grad.npy")).data();
        try (Model model = backend().open(resource("mixed.onnx"));
                GradientProvider p = model.gradients(layer, 40, 40)) {
            float[] objectives = new float[3];
            float[] grad = new float[x.data().length];
            p.compute(x.data(), FILTERS, objectives, grad);
            double[] want = {o0, o1, o2};
            for (int i = 0; i < 3; i++) {
                assertEquals(want[i], objectives[i], 1e-4 * Math.abs(want[i]), "objective " + i);
            }
            double err = BackendTesting.relativeError(grad, expected);
            assertTrue(err <= 1e-3, "relative L2 error " + err);
        }
    }

    @org.junit.jupiter.api.io.TempDir
    static Path copies;

    /** A resource of this jar, copied out to a file. */
    static Path resource(String name) throws java.io.IOException {
        Path file = copies.resolve(name);
        if (!java.nio.file.Files.exists(file)) {
            try (var in = TorchReferenceContract.class.getResourceAsStream("/torch/" + name)) {
                java.nio.file.Files.copy(in, file);
            }
        }
        return file;
    }
}
