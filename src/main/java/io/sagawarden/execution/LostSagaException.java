package io.sagawarden.execution;

import java.util.UUID;

/** The saga is no longer this node's to change: its lease expired and another node took it, or it moved on. */
public final class LostSagaException extends RuntimeException {
    public LostSagaException(UUID sagaId, String why) {
        super("saga " + sagaId + " is no longer in this node's hands: " + why, null, false, false);
    }
}
