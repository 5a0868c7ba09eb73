package io.sagawarden.saga;

public enum CompensationStatus {
    NOT_STARTED, RUNNING, COMPENSATED, FAILED, NOT_NEEDED
}
