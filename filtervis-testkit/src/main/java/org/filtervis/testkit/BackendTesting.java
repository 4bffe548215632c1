package org.filtervis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;
import org.filtervis.graph.OnnxFormat;
import org.filtervis.graph.OnnxModel;

/** Helpers of the backend contract. */
public final class BackendTesting {
    private BackendTesting() {}

    /** Writes {@code model} into {@code dir} and opens it with {@code backend}. */
    public static Model open(ModelBackend backend, OnnxModel model, Path dir) {
        Path file = dir.resolve(model.graph.name + ".onnx");
        try {
            Files.write(file, OnnxFormat.write(model));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return backend.open(file);
    }

    /** Relative L2 error |a - b| / |b|. */
    public static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    public static float[] objectives(GradientProvider p, float[] x, int[] filters) {
        float[] obj = new float[filters.length];
        p.compute(x, filters, obj, new float[x.length]);
        return obj;
    }

    /** Central finite differences of sum(objectives) with respect to every input value. */
    public static float[] finiteDifferences(GradientProvider p, float[] x, int[] filters, float eps) {
        float[] fd = new float[x.length];
        float[] probe = x.clone();
        for (int i = 0; i < x.length; i++) {
            probe[i] = x[i] + eps;
            double up = sum(objectives(p, probe, filters));
            probe[i] = x[i] - eps;
            double down = sum(objectives(p, probe, filters));
            probe[i] = x[i];
            fd[i] = (float) ((up - down) / (2 * eps));
        }
        return fd;
    }

    public static double sum(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f;
        }
        return s;
    }
}
