package io.sagawarden.alert;

/** What an alert is about, and how loud it is. */
public enum AlertKind {
    LONG_RUNNING("warning"),
    STUCK("critical"),
    /** Recorded and counted, but handled already (a victim aborted): a page only when they spike (the Prometheus rule). */
    DEADLOCK("warning"),
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
