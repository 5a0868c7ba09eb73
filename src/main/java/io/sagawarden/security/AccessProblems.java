package io.sagawarden.security;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.sagawarden.problem.Problem;
import io.sagawarden.problem.ProblemMapper;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * A missing or refused token answers {@code 401} with a Bearer challenge, a role that may not act {@code 403}; both
 * as problem+json. Why a token was refused is logged by the OIDC extension, never told to the caller.
 */
public class AccessProblems {

    @ServerExceptionMapper
    public Response noToken(UnauthorizedException e, UriInfo uri) {
        return challenge("Bearer", "This endpoint needs a bearer access token from the configured provider", uri);
    }

    @ServerExceptionMapper
    public Response refusedToken(AuthenticationFailedException e, UriInfo uri) {
        return challenge("Bearer error=\"invalid_token\"", "The bearer token was refused: it is malformed, expired, "
                + "signed by another issuer or meant for another audience", uri);
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return ProblemMapper.answer(Problem.of("forbidden", "Forbidden", 403,
                "Your roles do not allow this; see the roles in the API description", ProblemMapper.path(uri), List.of()));
    }

    private static Response challenge(String challenge, String detail, UriInfo uri) {
        return Response.fromResponse(ProblemMapper.answer(Problem.of("unauthorized", "Unauthorized", 401, detail,
                ProblemMapper.path(uri), List.of()))).header(HttpHeaders.WWW_AUTHENTICATE, challenge).build();
    }
}
