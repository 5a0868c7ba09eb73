package io.sagawarden.security;

import io.sagawarden.problem.ProblemException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every request that changes something must declare an {@code application/json} body, even an empty one. A page on
 * another site can send a form or plain text without asking (no CORS preflight); it cannot send JSON unless this
 * service allows its origin, which it never does. So no cross-site request can act, with or without a session.
 */
public class JsonBodiesOnly {

    private static final Set<String> CHANGING = Set.of("POST", "PUT", "PATCH", "DELETE");

    @ServerRequestFilter(preMatching = true)
    public void requireJson(ContainerRequestContext request) {
        if (!CHANGING.contains(request.getMethod()) || !request.getUriInfo().getPath().startsWith("/api/")) {
            return;
        }
        String declared = request.getHeaderString("Content-Type");
        if (declared == null || !isJson(declared)) {
            throw new ProblemException.UnsupportedMediaType(declared == null
                    ? "the request declares no Content-Type; send application/json (an empty body is fine where none is needed)"
                    : "the request's Content-Type is '" + shortened(declared.strip()) + "'; only application/json is accepted");
        }
    }

    private static String shortened(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }

    private static boolean isJson(String declared) {
        try {
            MediaType type = MediaType.valueOf(declared);
            return type.getType().equalsIgnoreCase("application") && type.getSubtype().equalsIgnoreCase("json");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
