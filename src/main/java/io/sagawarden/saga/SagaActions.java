package io.sagawarden.saga;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator actions that would change a saga now, by the same rules as the guarded statements behind them
 * ({@link SagaStore#requestAbort}, {@link SagaStore#reviveFailed}, {@link SagaStore#takeOver}) and the rerun
 * ({@link SagaSubmissions#rerun}), so that a console offers only what the API accepts: {@code abort} while the saga
 * has not turned back and no abort is pending; {@code retry} for a FAILED saga, or a running or compensating one that
 * no node holds; {@code rerun} once it has ended. Plain Java.
 */
public final class SagaActions {

    public static final String ABORT = "abort";
    public static final String RETRY = "retry";
    public static final String RERUN = "rerun";

    private SagaActions() {
    }

    public static List<String> of(SagaStatus status, SagaReason abortRequested, String leaseOwner, Instant leaseExpiresAt,
                                  Instant now) {
        List<String> actions = new ArrayList<>(3);
        boolean forward = status == SagaStatus.PENDING || status == SagaStatus.RUNNING || status == SagaStatus.WAITING;
        if (forward && abortRequested == null) {
            actions.add(ABORT);
        }
        boolean unheld = leaseOwner == null || (leaseExpiresAt != null && leaseExpiresAt.isBefore(now));
        if (status == SagaStatus.FAILED
                || ((status == SagaStatus.RUNNING || status == SagaStatus.COMPENSATING) && unheld)) {
            actions.add(RETRY);
        }
        if (status.isTerminal()) {
            actions.add(RERUN);
        }
        return List.copyOf(actions);
    }
}
