package org.filtervis.tf;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.function.Supplier;

/**
 * Hides what TensorFlow's native code writes to the process's standard error (file descriptor 2)
 * while a call runs. TensorFlow 2.18 logs through absl before any log set-up, which ignores
 * {@code TF_CPP_MIN_LOG_LEVEL}: its first session run prints "WARNING: All log messages before
 * absl::InitializeLog() ..." and an MLIR info line, so every tf run's output had two stray lines.
 * With {@code TF_CPP_MIN_LOG_LEVEL} 0 or 1 (the user asked for logs) nothing is hidden. Java's
 * own System.err writes during the call are hidden too: callers keep such calls free of them.
 */
final class NativeStderr {
    private NativeStderr() {}

    interface LibC extends Library {
        int dup(int fd);

        int dup2(int from, int to);

        int open(String path, int flags);

        int close(int fd);
    }

    private static final int STDERR = 2;
    private static LibC libc;

    private static synchronized LibC libc() {
        if (libc == null) {
            libc = Native.load("c", LibC.class);
        }
        return libc;
    }

    static boolean wanted() {
        String level = System.getenv("TF_CPP_MIN_LOG_LEVEL");
        return level != null && !level.equals("0") && !level.equals("1") && System.getProperty("os.name", "").startsWith("Linux");
    }

    /** Runs {@code body} with fd 2 pointing at /dev/null, restored afterwards whatever happens. */
    static synchronized <T> T quiet(Supplier<T> body) {
        if (!wanted()) {
            return body.get();
        }
        LibC c;
        try {
            c = libc();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return body.get();
        }
        System.err.flush();
        int saved = c.dup(STDERR);
        int devNull = c.open("/dev/null", 1);
        if (saved < 0 || devNull < 0) {
            if (saved >= 0) {
                c.close(saved);
            }
            return body.get();
        }
        c.dup2(devNull, STDERR);
        c.close(devNull);
        try {
            return body.get();
        } finally {
            System.err.flush();
            c.dup2(saved, STDERR);
            c.close(saved);
        }
    }
}
