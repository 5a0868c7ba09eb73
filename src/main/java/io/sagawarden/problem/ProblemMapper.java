package io.sagawarden.problem;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The one place where failures become {@code application/problem+json} answers. */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e, UriInfo uri) {
        return answer(Problem.of(e.slug(), e.title(), e.status(), e.getMessage(), path(uri), e.errors()));
    }

    @ServerExceptionMapper
    public Response invalidParameters(ConstraintViolationException e, UriInfo uri) {
        List<FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new FieldError(leafName(v), v.getMessage()))
                .sorted((a, b) -> a.field().compareTo(b.field()))
                .toList();
        return answer(Problem.of("invalid-request", "The request is invalid", 400,
                "The request parameters are invalid", path(uri), errors));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known == null ? "HTTP " + status : known.getReasonPhrase();
        String slug = title.toLowerCase().replaceAll("[^a-z0-9]+", "-");
        return answer(Problem.of(slug, title, status, e.getMessage(), path(uri), culprit(status)));
    }

    /** What a status the framework chose is about, so that every problem names a field. */
    private static List<FieldError> culprit(int status) {
        return switch (status) {
            case 404 -> List.of(new FieldError("path", "names nothing here"));
            case 405 -> List.of(new FieldError("method", "is not allowed on this path"));
            case 406 -> List.of(new FieldError("Accept", "names no type this path answers with"));
            case 413 -> List.of(new FieldError("body", "is too large"));
            case 415 -> List.of(new FieldError("Content-Type", "must be application/json"));
            default -> List.of();
        };
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, UriInfo uri) {
        LOG.errorf(e, "Unexpected failure serving %s", path(uri));
        return answer(Problem.of("internal-error", "Internal error", 500,
                "The server failed to handle the request; the failure is logged", path(uri), List.of()));
    }

    /** The answer that carries {@code problem}, with its status and media type. */
    public static Response answer(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }

    public static String path(UriInfo uri) {
        return uri == null ? null : "/" + uri.getPath().replaceFirst("^/", "");
    }

    /** Query and path parameters are named by their own name, not by the Java method that declares them. */
    private static String leafName(ConstraintViolation<?> violation) {
        String name = null;
        for (Path.Node node : violation.getPropertyPath()) {
            name = node.getName();
        }
        return name;
    }
}
