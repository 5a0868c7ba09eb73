package io.sagawarden.participant;

/** Which of a step's two requests a participant call is; part of its idempotency key. */
public enum CallKind {
    ACTION, COMPENSATION;

    public String key() {
        return name().toLowerCase();
    }
}
