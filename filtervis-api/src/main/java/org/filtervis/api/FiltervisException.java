package org.filtervis.api;

/**
 * A failure the user can act on. The message is one line naming the problem and what would fix
 * it; it is shown as it is, without a stack trace. {@link #usage()} tells an input the user gave
 * that is wrong (exit code 2) from a failure while running (exit code 1).
 */
public class FiltervisException extends RuntimeException {
    private final boolean usage;

    public FiltervisException(String message, boolean usage, Throwable cause) {
        super(message, cause);
        this.usage = usage;
    }

    /** A wrong input (argument, file, layer, filter): exit code 2. */
    public static FiltervisException usage(String message) {
        return new FiltervisException(message, true, null);
    }

    /** A failure while running: exit code 1. */
    public static FiltervisException failure(String message) {
        return new FiltervisException(message, false, null);
    }

    public static FiltervisException failure(String message, Throwable cause) {
        return new FiltervisException(message, false, cause);
    }

    public boolean usage() {
        return usage;
    }
}
