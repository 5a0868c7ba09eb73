package io.sagawarden.alert;

/** What an alert is about, and how loud it is. */
public enum AlertKind {
    LONG_RUNNING("warning"),
    STUCK("critical"),
    DEADLOCK("critical"),
    RECOVERY_FAILED("critical"),
    COMPENSATION_FAILED("critical");

    private final String severity;

    AlertKind(String severity) {
        this.severity = severity;
    }

    public String severity() {
        return severity;
    }
}
