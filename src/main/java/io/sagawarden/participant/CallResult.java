package io.sagawarden.participant;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.db.Storable;
import java.time.Duration;

/**
 * What came of one participant call, classified by the participant protocol (API.md).
 *
 * @param mayHaveTakenEffect true when the participant may have applied the request even though the call is not
 *                           a success (a timeout, a 5xx, a 2xx whose body could not be kept): such a step is
 *                           compensated too, and a participant answers 404 for what it never applied
 */
public record CallResult(Outcome outcome, Integer httpStatus, JsonNode response, String error, Duration duration,
                         boolean mayHaveTakenEffect) {

    public enum Outcome { SUCCEEDED, RETRYABLE, PERMANENT }

    /** Error texts come from participants and the network: kept short, and free of what the database refuses. */
    public CallResult {
        error = Storable.text(error);
    }

    /** This result with every secret value the call carried masked. */
    public CallResult withoutSecrets(SecretValues secrets) {
        if (secrets.values().isEmpty()) {
            return this;
        }
        return new CallResult(outcome, httpStatus, secrets.redact(response), secrets.redact(error), duration,
                mayHaveTakenEffect);
    }

    /**
     * This result as it can be recorded when the database refused it as it was: a 2xx whose reply cannot be used
     * has failed (it may have taken effect); any other result keeps its outcome without the refused text.
     */
    public CallResult unrecordable() {
        String why = "the outcome could not be stored as it was";
        if (outcome == Outcome.SUCCEEDED && response != null) {
            return new CallResult(Outcome.PERMANENT, httpStatus, null, "the reply cannot be kept: " + why, duration, true);
        }
        return new CallResult(outcome, httpStatus, null, error == null ? null : why, duration, mayHaveTakenEffect);
    }

    /** An action's reply: 2xx succeeded; 408, 429 and 5xx are retried; any other status failed at once. */
    public static CallResult ofAction(int status, JsonNode response, String error, Duration duration) {
        if (status >= 200 && status < 300) {
            return error == null
                    ? new CallResult(Outcome.SUCCEEDED, status, response, null, duration, true)
                    : new CallResult(Outcome.PERMANENT, status, null, error, duration, true);
        }
        boolean retryable = status == 408 || status == 429 || status >= 500;
        String why = error != null ? error : "participant answered HTTP " + status
                + (status >= 300 && status < 400 ? " (redirects are not followed)" : "");
        return new CallResult(retryable ? Outcome.RETRYABLE : Outcome.PERMANENT, status, null, why, duration,
                status >= 500);
    }

    /** A compensation's reply: 2xx, 404 and 410 mean done; anything else is retried. */
    public static CallResult ofCompensation(int status, Duration duration) {
        if ((status >= 200 && status < 300) || status == 404 || status == 410) {
            return new CallResult(Outcome.SUCCEEDED, status, null, null, duration, true);
        }
        return new CallResult(Outcome.RETRYABLE, status, null, "participant answered HTTP " + status, duration, true);
    }

    /** No answer: a timeout or a broken connection. The request may have been applied. */
    public static CallResult unanswered(String error, Duration duration, boolean mayHaveTakenEffect) {
        return new CallResult(Outcome.RETRYABLE, null, null, error, duration, mayHaveTakenEffect);
    }

    /** The call could not be made at all (a template resolved to nothing, a URL off the allow-list). */
    public static CallResult notCallable(String error) {
        return new CallResult(Outcome.PERMANENT, null, null, error, Duration.ZERO, false);
    }

    /** The label value for metrics: bounded, never a saga id. */
    public String metricStatus() {
        return switch (outcome) {
            case SUCCEEDED -> "success";
            case RETRYABLE -> httpStatus == null ? "no_answer" : "retryable_error";
            case PERMANENT -> httpStatus == null ? "not_callable" : "error";
        };
    }
}
