package io.sagawarden.security;

import io.sagawarden.problem.ProblemException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every POST must declare an {@code application/json} body, even an empty one. A page on another site can send a form
 * or plain text without asking (no CORS preflight); it cannot send JSON unless this service allows its origin, which
 * it never does. So no cross-site request can act, with or without a session. Other methods that may carry a body
 * need a preflight anyway; when they carry one, it must be JSON too (the API has no such endpoint: they get 405).
 */
public class JsonBodiesOnly {

    private static final Set<String> MAY_CARRY_BODIES = Set.of("PUT", "PATCH", "DELETE");

    @ServerRequestFilter(preMatching = true)
    public void requireJson(ContainerRequestContext request) {
        boolean checked = request.getMethod().equals("POST")
                || (MAY_CARRY_BODIES.contains(request.getMethod()) && hasBody(request));
        if (!checked || !request.getUriInfo().getPath().startsWith("/api/")) {
            return;
        }
        String declared = request.getHeaderString("Content-Type");
        if (declared == null || !isJson(declared)) {
            throw new ProblemException.UnsupportedMediaType(declared == null
                    ? "the request declares no Content-Type; send application/json (an empty body is fine where none is needed)"
                    : "the request's Content-Type is '" + shortened(declared.strip()) + "'; only application/json is accepted");
        }
    }

    private static boolean hasBody(ContainerRequestContext request) {
        String length = request.getHeaderString("Content-Length");
        return request.getHeaderString("Transfer-Encoding") != null || (length != null && !length.strip().equals("0"));
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
