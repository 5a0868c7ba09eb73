package io.sagawarden.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs a program from outside the build skips loudly where the program is missing on a laptop, and
 * fails under {@code CI=true}, where {@code .ci/run} has provided it.
 */
public final class OutsideProgram {

    private OutsideProgram() {
    }

    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or under CI fails) the calling test with {@code message} unless {@code present}. */
    public static void require(boolean present, String message) {
        if (present) {
            return;
        }
        if (onCi()) {
            Assertions.fail(message + "; CI=true, so this is a failure, not a skip");
        }
        System.err.println("\n*** SKIPPED: " + message + " ***\n");
        Assumptions.abort("SKIPPED: " + message);
    }
}
