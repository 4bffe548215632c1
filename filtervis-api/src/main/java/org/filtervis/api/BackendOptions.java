package org.filtervis.api;

/**
 * How a backend should run.
 *
 * @param device    one of {@link BackendProvider#devices()}, e.g. {@code cpu}
 * @param threads   number of compute threads the framework may use; 0 means its own default
 * @param precision {@code fp32} (the default) or {@code bf16}: the network's convolutions and
 *                  matrix products in bfloat16, everything else in fp32; one of
 *                  {@link BackendProvider#precisions}
 */
public record BackendOptions(String device, int threads, String precision) implements java.io.Serializable {
    public static final String FP32 = "fp32";
    public static final String BF16 = "bf16";

    /** fp32. */
    public BackendOptions(String device, int threads) {
        this(device, threads, FP32);
    }

    public static BackendOptions defaults() {
        return new BackendOptions("cpu", 0);
    }
}
