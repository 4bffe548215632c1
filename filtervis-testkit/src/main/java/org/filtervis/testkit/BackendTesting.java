package org.filtervis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
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

    /**
     * Collects garbage, so that native memory whose Java owners were dropped is freed, then fills
     * fresh direct buffers with 1e30, so that anything still reading freed memory reads garbage.
     */
    public static void churnMemory() {
        List<ByteBuffer> junk = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            for (int i = 0; i < 2000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
                for (int j = 0; j < 16; j++) {
                    b.putFloat(4 * j, 1e30f);
                }
                junk.add(b);
            }
        }
    }

    /** Runs {@code body} while another thread keeps {@link #churnMemory churning memory}. */
    public static <T> T underMemoryChurn(java.util.function.Supplier<T> body) {
        AtomicBoolean done = new AtomicBoolean();
        Thread churn = new Thread(() -> {
            while (!done.get()) {
                churnMemory();
            }
        }, "memory-churn");
        churn.setDaemon(true);
        churn.start();
        try {
            return body.get();
        } finally {
            done.set(true);
            try {
                churn.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static double sum(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f;
        }
        return s;
    }
}
