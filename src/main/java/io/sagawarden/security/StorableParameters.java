package io.sagawarden.security;

import io.sagawarden.db.Storable;
import io.sagawarden.problem.QueryParams;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Query parameters and the headers the API reads may not carry a NUL character or an unpaired surrogate: PostgreSQL
 * cannot store or compare such text, and a filter holding one would fail in the database instead of answering 400
 * naming the parameter.
 */
public class StorableParameters {

    private static final List<String> READ_HEADERS = List.of("Idempotency-Key", Caller.SUBMITTER_HEADER,
            Caller.OPERATOR_HEADER);

    @ServerRequestFilter(preMatching = true)
    public void refuseUnstorable(ContainerRequestContext request) {
        for (Map.Entry<String, List<String>> parameter : request.getUriInfo().getQueryParameters().entrySet()) {
            if (!Storable.isStorable(parameter.getKey()) || !parameter.getValue().stream().allMatch(Storable::isStorable)) {
                throw QueryParams.bad(Storable.text(parameter.getKey()), "must not contain NUL or unpaired surrogates");
            }
        }
        for (String header : READ_HEADERS) {
            String value = request.getHeaderString(header);
            if (value != null && !Storable.isStorable(value)) {
                throw QueryParams.bad(header, "must not contain NUL or unpaired surrogates");
            }
        }
    }
}
