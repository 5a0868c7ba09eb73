package io.sagawarden.security;

/** The realm roles of API.md, "Who may do what". */
public final class Roles {

    /** Submits sagas; reads, lists and aborts its own. */
    public static final String SUBMITTER = "saga-submitter";
    /** Reads everything. */
    public static final String VIEWER = "saga-viewer";
    /** Reads everything, aborts and retries any saga, acknowledges alerts. */
    public static final String OPERATOR = "saga-operator";

    private Roles() {
    }
}
