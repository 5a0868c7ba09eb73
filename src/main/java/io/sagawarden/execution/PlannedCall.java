package io.sagawarden.execution;

import io.sagawarden.participant.CallKind;

/** A participant call the state machine wants made now: which step, which request, which attempt. */
public record PlannedCall(int stepIndex, CallKind kind, int attempt) {
}
