package io.sagawarden.saga;

import java.util.EnumSet;
import java.util.Set;

/** Where a saga is in its lifecycle; see docs/state_machine.md. */
public enum SagaStatus {
    PENDING, RUNNING, WAITING, COMPENSATING, COMPLETED, COMPENSATED, FAILED;

    private static final Set<SagaStatus> TERMINAL = EnumSet.of(COMPLETED, COMPENSATED, FAILED);

    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }
}
