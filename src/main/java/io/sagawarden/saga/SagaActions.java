package io.sagawarden.saga;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator actions that would change a saga now, by the same rules as the guarded statements behind them
 * ({@link SagaStore#requestAbort}, {@link SagaStore#reviveFailed}, {@link SagaStore#takeOver}), so that a console
 * offers only what the API accepts: {@code abort} while the saga has not turned back and no abort is pending;
 * {@code retry} for a FAILED saga, or a running or compensating one that no node holds. Plain Java.
 */
public final class SagaActions {

    public static final String ABORT = "abort";
    public static final String RETRY = "retry";

    private SagaActions() {
    }

    public static List<String> of(SagaStatus status, SagaReason abortRequested, String leaseOwner, Instant leaseExpiresAt,
                                  Instant now) {
        List<String> actions = new ArrayList<>(2);
        boolean forward = status == SagaStatus.PENDING || status == SagaStatus.RUNNING || status == SagaStatus.WAITING;
        if (forward && abortRequested == null) {
            actions.add(ABORT);
        }
        boolean unheld = leaseOwner == null || (leaseExpiresAt != null && leaseExpiresAt.isBefore(now));
        if (status == SagaStatus.FAILED
                || ((status == SagaStatus.RUNNING || status == SagaStatus.COMPENSATING) && unheld)) {
            actions.add(RETRY);
        }
        return List.copyOf(actions);
    }
}
