package io.sagawarden.alert;

import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaRecorded;
import io.sagawarden.saga.SagaStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;

/**
 * The critical alert of a saga that ended FAILED, raised in the very transaction that failed it (the outbox sends
 * it on), and resolved when an operator retries the saga.
 */
@ApplicationScoped
class CompensationFailures {

    private final Alerts alerts;

    CompensationFailures(Alerts alerts) {
        this.alerts = alerts;
    }

    void onRecorded(@Observes SagaRecorded recorded) {
        boolean failed = recorded.all(SagaEvent.Ended.class).anyMatch(e -> e.status() == SagaStatus.FAILED);
        if (failed) {
            recorded.all(SagaEvent.CompensationFailed.class).forEach(f -> alerts.raise(AlertKind.COMPENSATION_FAILED,
                    recorded.sagaId(), "Saga " + recorded.sagaId() + " (" + recorded.type() + ") could not compensate step "
                            + f.step(),
                    "The compensation of step " + f.step() + " failed " + f.attempts() + " times (last error: " + f.error()
                            + "). The saga is FAILED and needs an operator: fix the participant, then POST /api/v1/sagas/"
                            + recorded.sagaId() + "/retry.",
                    Map.of("step", f.step(), "attempts", f.attempts())));
        }
        if (recorded.all(SagaEvent.RetryRequested.class).findAny().isPresent()) {
            alerts.resolve(AlertKind.COMPENSATION_FAILED, recorded.sagaId());
        }
    }
}
