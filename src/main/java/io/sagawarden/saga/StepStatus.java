package io.sagawarden.saga;

public enum StepStatus {
    PENDING, RUNNING, SUCCEEDED, FAILED, SKIPPED
}
