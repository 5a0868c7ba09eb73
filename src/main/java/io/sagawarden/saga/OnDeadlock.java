package io.sagawarden.saga;

/** What a deadlock victim does after compensating. */
public enum OnDeadlock {
    COMPENSATE, RESTART
}
