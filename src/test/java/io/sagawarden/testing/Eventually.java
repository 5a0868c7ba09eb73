package io.sagawarden.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for a condition that the system under test reaches asynchronously, with a bounded deadline. */
public final class Eventually {

    private Eventually() {
    }

    public static <T> T await(String what, Duration timeout, Supplier<T> probe, java.util.function.Predicate<T> done) {
        return await(what, timeout, probe, done, Duration.ofMillis(20));
    }

    /** As above, looking every {@code every}: a benchmark asks seldom, so that asking costs its figures nothing. */
    public static <T> T await(String what, Duration timeout, Supplier<T> probe, java.util.function.Predicate<T> done,
                              Duration every) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
            }
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            last = probe.get();
        }
        return last;
    }
}
