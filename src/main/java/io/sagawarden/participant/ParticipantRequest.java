package io.sagawarden.participant;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;

/**
 * A participant call ready to go: method, URL, headers (the step's and the saga's own) and JSON body all
 * rendered. The client still checks the URL against the allow-list, since a rendered URL is what is called.
 *
 * @param secrets the secret values among the headers, to be kept out of whatever the call leaves behind
 */
public record ParticipantRequest(CallKind kind, String method, String url, Map<String, String> headers, JsonNode body,
                                 Duration timeout, SecretValues secrets) {

    /** Header names only: their values may be credentials. */
    @Override
    public String toString() {
        return kind + " " + method + " " + url + " headers " + headers.keySet();
    }
}
