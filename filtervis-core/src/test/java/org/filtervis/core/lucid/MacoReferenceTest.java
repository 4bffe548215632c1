package org.filtervis.core.lucid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.filtervis.core.io.Npy;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * MaCo's parameterization and Nadam against an independent PyTorch float64 implementation
 * (tools/maco_reference.py, written from Xplique's definition): the same phase and magnitude give
 * the same image, and the same vector-Jacobian product gives the same phase gradient, to 1e-5.
 */
class MacoReferenceTest {
    static Npy.Array reference(String name) {
        try {
            return Npy.read(Path.of(MacoReferenceTest.class.getResource("/maco/" + name + ".npy").toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static double maxRelative(float[] got, float[] want) {
        double scale = 0;
        for (float w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
        }
        return worst;
    }

    /** Several times in one JVM: the same numbers every time. */
    @RepeatedTest(3)
    void imageAndPhaseGradientMatchPyTorchFloat64() {
        float[] phase = reference("maco_phase").data();
        float[] magnitude = reference("maco_magnitude").data();
        float[] weights = reference("maco_weights").data();
        int size = (int) reference("maco_phase").shape()[1];
        Maco maco = new Maco(3, size, magnitude);
        Maco.Trace t = maco.forward(phase, 0, null);
        float[] image = reference("maco_image").data();
        double imageError = maxRelative(t.colours(), image);
        assertTrue(imageError < 1e-5, "image: largest error " + imageError + " of the largest value");
        float[] dp = new float[maco.parameters()];
        maco.backward(t, weights, dp, 0);
        float[] want = reference("maco_grad").data();
        double nonzero = 0;
        for (float v : want) {
            nonzero = Math.max(nonzero, Math.abs(v));
        }
        assertTrue(nonzero > 1e-3, "the reference gradient is not zero: " + nonzero);
        double gradError = maxRelative(dp, want);
        assertTrue(gradError < 1e-5, "phase gradient: largest error " + gradError + " of the largest value");
    }

    @Test
    void nadamMatchesPyTorchsNAdam() {
        float[] p = reference("nadam_start").data().clone();
        Npy.Array grads = reference("nadam_gradients");
        int n = p.length;
        Nadam nadam = new Nadam(n, 1.0);
        for (int step = 0; step < grads.shape()[0]; step++) {
            nadam.step(p, 0, grads.data(), step * n);
        }
        float[] want = reference("nadam_end").data();
        for (int i = 0; i < n; i++) {
            assertEquals(want[i], p[i], 1e-5 * Math.max(1, Math.abs(want[i])), "parameter " + i);
        }
    }

    @Test
    void shippedSpectrumIsANaturalImagesSpectrum() {
        float[] m = MagnitudeSpectrum.shipped(64);
        assertEquals(3 * 64 * 33, m.length);
        // Natural photos: the magnitude falls with frequency (about as 1/f), in every channel.
        for (int c = 0; c < 3; c++) {
            double low = m[(c * 64 + 1) * 33 + 1];
            double high = m[(c * 64 + 20) * 33 + 20];
            assertTrue(low > 5 * high, "channel " + c + ": low " + low + ", high " + high);
        }
    }
}
