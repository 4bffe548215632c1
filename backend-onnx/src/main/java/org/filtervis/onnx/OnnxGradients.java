package org.filtervis.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.graph.kit.BackendGradients;

/**
 * Runs a layer's gradient model; one session per batch size (and thread count), built on first
 * use and reused for every later batch of that size (the channels are an input).
 *
 * <p>On the CPU a batch of at least as many images as threads is split into one part per thread,
 * all run at the same time, each on one thread of a single-threaded session (parts of one size
 * share that session: ONNX Runtime takes concurrent runs of a session). The images are
 * independent, and this keeps every core busy through the small element-wise operators between
 * the convolutions, where one session's threads would wait for each other (about 10% faster on
 * ResNets).
 */
final class OnnxGradients extends BackendGradients {
    /** Makes the session for a batch size and an intra-op thread count. */
    interface Sessions {
        GradientSession get(int batch, int threads);
    }

    private final Sessions sessions;
    private final Runnable closer;
    private final Supplier<OnnxGradients> redirectedFactory;
    private final int threads;
    private ExecutorService workers;
    private OnnxGradients redirected;

    /**
     * @param threads the threads to use; above 1, free-size batches are split over that many sessions
     * @param redirectedFactory makes the redirected-ReLU variant on first request; null where
     *     there is none (a stored gradient model, or this is the variant)
     */
    OnnxGradients(InputSpec input, int channels, Sessions sessions, Runnable closer, int fixedBatch, int threads,
            Supplier<OnnxGradients> redirectedFactory) {
        super(input, channels, fixedBatch);
        this.sessions = sessions;
        this.closer = closer;
        this.threads = threads;
        this.redirectedFactory = redirectedFactory;
    }

    @Override
    public Optional<GradientProvider> redirectedRelu() {
        if (redirected == null && redirectedFactory != null) {
            redirected = redirectedFactory.get();
        }
        return Optional.ofNullable(redirected);
    }

    @Override
    public void prepare(int batch) {
        if (maxBatch != Integer.MAX_VALUE) {
            sessions.get(maxBatch, threads);
        } else if (threads > 1 && batch >= threads) {
            for (int part = 0; part < threads; part++) {
                sessions.get(partEnd(batch, part) - partEnd(batch, part - 1), 1);
            }
        } else if (batch > 0) {
            sessions.get(batch, threads);
        }
    }

    /** Where part {@code part} of a split batch of {@code n} ends (part -1 ends at 0). */
    private int partEnd(int n, int part) {
        return (int) ((long) n * (part + 1) / threads);
    }

    @Override
    public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
        int n = filters.length;
        int per = input.elements();
        if (images.length != n * per || gradients.length != n * per || objectives.length < n) {
            throw new IllegalArgumentException("batch of " + n + " needs " + n * per + " image floats, got " + images.length);
        }
        GradientProvider.requireChannels(filters, channels);
        if (n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " exceeds " + maxBatch);
        }
        long[] ch = new long[n];
        for (int i = 0; i < n; i++) {
            ch[i] = filters[i];
        }
        if (maxBatch != Integer.MAX_VALUE) {
            runPadded(images, ch, objectives, gradients);
        } else if (threads > 1 && n >= threads) {
            runSplit(images, ch, objectives, gradients);
        } else {
            sessions.get(n, threads).run(images, ch, objectives, gradients);
        }
    }

    /** A model with a pinned batch size gets short batches padded with blank images. */
    private void runPadded(float[] images, long[] ch, float[] objectives, float[] gradients) {
        int n = ch.length;
        int per = input.elements();
        GradientSession session = sessions.get(maxBatch, threads);
        if (n == maxBatch) {
            session.run(images, ch, objectives, gradients);
            return;
        }
        float[] paddedGrads = new float[maxBatch * per];
        float[] paddedObjectives = new float[maxBatch];
        session.run(Arrays.copyOf(images, maxBatch * per), Arrays.copyOf(ch, maxBatch), paddedObjectives, paddedGrads);
        System.arraycopy(paddedGrads, 0, gradients, 0, n * per);
        System.arraycopy(paddedObjectives, 0, objectives, 0, n);
    }

    /** One contiguous part of the batch per thread, each run on that thread by a single-threaded session. */
    private void runSplit(float[] images, long[] ch, float[] objectives, float[] gradients) {
        int n = ch.length;
        int per = input.elements();
        if (workers == null) {
            workers = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "filtervis-onnx");
                t.setDaemon(true);
                return t;
            });
        }
        List<Future<?>> running = new ArrayList<>();
        Runnable first = null;
        prepare(n); // builds the parts' sessions one at a time, before they run
        for (int part = 0; part < threads; part++) {
            int from = partEnd(n, part - 1);
            int to = partEnd(n, part);
            Runnable job = () -> {
                float[] partGrads = new float[(to - from) * per];
                float[] partObjectives = new float[to - from];
                sessions.get(to - from, 1).run(Arrays.copyOfRange(images, from * per, to * per), Arrays.copyOfRange(ch, from, to),
                        partObjectives, partGrads);
                System.arraycopy(partGrads, 0, gradients, from * per, partGrads.length);
                System.arraycopy(partObjectives, 0, objectives, from, partObjectives.length);
            };
            if (first == null) {
                first = job;
            } else {
                running.add(workers.submit(job));
            }
        }
        RuntimeException failure = null;
        try {
            first.run();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while computing gradients", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        if (redirected != null) {
            redirected.close();
        }
        if (workers != null) {
            workers.shutdownNow();
        }
        closer.run();
    }
}
