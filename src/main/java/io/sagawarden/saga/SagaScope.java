package io.sagawarden.saga;

import java.util.Optional;

/** Whose sagas a reader may see and abort: everyone's, or one submitter's own. */
public record SagaScope(String submitter) {

    public static final SagaScope EVERYONE = new SagaScope(null);

    public static SagaScope ownedBy(String submitter) {
        return new SagaScope(submitter);
    }

    /** One submitter's own sagas when {@code onlyOf} names it, else everyone's. */
    public static SagaScope of(Optional<String> onlyOf) {
        return onlyOf.map(SagaScope::ownedBy).orElse(EVERYONE);
    }

    public boolean includes(String sagaSubmitter) {
        return submitter == null || submitter.equals(sagaSubmitter);
    }
}
