package org.filtervis.core;

import org.filtervis.core.ascent.Recipe;
import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.LayerInfo;

/**
 * Bounds on the numbers a run takes, checked before anything is allocated or started: a typo
 * ({@code --threads 1000}, {@code --size 100000}) gets a one-line error, not a hang or an
 * out-of-memory error deep inside a framework.
 */
public final class Limits {
    /** The largest image side: 3 x 4096 x 4096 float32 is 200 MB per image. */
    public static final int MAX_SIZE = 4096;
    public static final int MAX_BATCH = 1024;
    public static final int MAX_STEPS = 100_000;

    private Limits() {}

    /** 0 (the framework's choice) or 1 to four threads per core of this machine. */
    public static int threads(int threads) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads < 0 || threads > 4 * cores) {
            throw FiltervisException.usage("threads " + threads + " is not 0 (the framework's choice) or 1 to " + 4 * cores
                    + " (4 per core of this machine's " + cores + ")");
        }
        return threads;
    }

    public static int size(int size) {
        if (size < 1 || size > MAX_SIZE) {
            throw FiltervisException.usage("image size " + size + " is not 1 to " + MAX_SIZE + " pixels");
        }
        return size;
    }

    public static int batch(int batch) {
        if (batch < 1 || batch > MAX_BATCH) {
            throw FiltervisException.usage("batch " + batch + " is not 1 to " + MAX_BATCH);
        }
        return batch;
    }

    /** Images of {@code elements} floats each, {@code batch} at a time, held in one Java array of at most 2^28 floats (1 GB). */
    public static void images(int batch, long elements) {
        if (batch * elements > (1L << 28)) {
            throw FiltervisException.usage(String.format(java.util.Locale.ROOT,
                    "%d images of %d values at a time need %.1f GB per array; lower the batch (or the image size)", batch, elements,
                    batch * elements * 4 / 1e9));
        }
    }

    /**
     * The network's activations for {@code batch} images at once, forward and backward (counted as
     * three floats for every value of every layer, an upper bound: the run needs only the layers up
     * to its cut), within half of this machine's memory. This bounds what the backend allocates
     * natively, which {@link #images} does not see.
     */
    public static void activations(int batch, List<LayerInfo> layers, int size) {
        long perImage = 0;
        for (LayerInfo l : layers) {
            long n = 1;
            for (int i = 1; i < l.shape().size(); i++) {
                n = Math.multiplyExact(n, Math.max(1, l.shape().get(i)));
            }
            perImage += n;
        }
        long bytes = Math.multiplyExact(perImage, 12L * batch);
        long budget = memory() / 2;
        if (bytes > budget) {
            throw FiltervisException.usage(String.format(java.util.Locale.ROOT,
                    "%d images of %d px at a time need about %.1f GB for the network's activations, more than half of this machine's %.1f GB;"
                            + " lower the batch (1 needs about %.1f GB) or the image size", batch, size, bytes / 1e9, memory() / 1e9, bytes / batch / 1e9));
        }
    }

    /** This machine's physical memory in bytes (the JVM's view of it, container limits included). */
    static long memory() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : 8L << 30;
    }

    /** Steps 1 to {@link #MAX_STEPS}, a finite positive step length, redirection for 0 or more steps. */
    public static Recipe recipe(Recipe r) {
        if (r.steps() < 1 || r.steps() > MAX_STEPS) {
            throw FiltervisException.usage("steps " + r.steps() + " is not 1 to " + MAX_STEPS);
        }
        if (!(r.lr() > 0) || Float.isInfinite(r.lr())) {
            throw FiltervisException.usage("step length " + r.lr() + " is not a finite positive number");
        }
        if (r.redirectSteps() < 0) {
            throw FiltervisException.usage("redirected ReLU steps must be 0 or more");
        }
        if (r.border() < 0 || r.border() > MAX_SIZE) {
            throw FiltervisException.usage("border " + r.border() + " is not 0 to " + MAX_SIZE + " positions");
        }
        return r;
    }
}
