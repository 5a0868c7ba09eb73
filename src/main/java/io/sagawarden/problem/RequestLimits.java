package io.sagawarden.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.ManagementInterface;
import io.sagawarden.saga.SagaLimits;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Map;

/**
 * The service's own limits on a request's size and shape, checked before anything reads it, so that a refusal is
 * a problem naming what was refused rather than the transport's bare status: a request target over
 * {@code saga.limits.max-uri-length} (414), a header block over {@code max-header-bytes} (431), a declared body
 * over {@code max-body-bytes} (413; a streamed one is counted as it is read). The transport's own limits
 * ({@code quarkus.http.limits.*}) sit above these, as the last guard against requests too large to parse at all;
 * a header value with control characters is refused by the HTTP decoder itself, with a bare 400. Nothing refused
 * is echoed.
 */
@ApplicationScoped
public class RequestLimits {

    private final SagaLimits limits;
    private final ObjectMapper mapper;

    public RequestLimits(SagaLimits limits, ObjectMapper mapper) {
        this.limits = limits;
        this.mapper = mapper;
    }

    // After ConsoleHeaders (-1000), so that refusals carry its headers too.
    void onApi(@Observes Router router) {
        router.route().order(-950).handler(this::check);
    }

    void onManagement(@Observes ManagementInterface management) {
        management.router().route().order(-950).handler(this::check);
    }

    private void check(RoutingContext context) {
        HttpServerRequest request = context.request();
        if (request.uri().length() > limits.maxUriLength()) {
            refuse(context, 414, "uri-too-long", "URI Too Long", "uri",
                    "is longer than " + limits.maxUriLength() + " characters");
            return;
        }
        long headerBytes = 0;
        for (Map.Entry<String, String> header : request.headers()) {
            headerBytes += header.getKey().length() + header.getValue().length() + 4;
        }
        if (headerBytes > limits.maxHeaderBytes()) {
            refuse(context, 431, "request-header-fields-too-large", "Request Header Fields Too Large", "headers",
                    "are larger than " + limits.maxHeaderBytes() + " bytes");
            return;
        }
        String length = request.getHeader("Content-Length");
        if (length != null) {
            long declared = parseLength(length);
            if (declared < 0) {
                refuse(context, 400, "invalid-request", "Bad Request", "Content-Length", "is not a length");
                return;
            }
            if (declared > limits.maxBodyBytes()) {
                refuse(context, 413, "payload-too-large", "Payload Too Large", "body",
                        "is larger than " + limits.maxBodyBytes() + " bytes");
                return;
            }
        }
        context.next();
    }

    private static long parseLength(String value) {
        if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(value);
    }

    private void refuse(RoutingContext context, int status, String slug, String title, String field, String message) {
        Problem problem = Problem.of(slug, title, status, field + " " + message, context.request().path().length()
                > limits.maxUriLength() ? null : context.request().path(), List.of(new FieldError(field, message)));
        String body;
        try {
            body = mapper.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        // The rest of the request is never read: the connection closes rather than carry it into the next one.
        context.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE)
                .putHeader("Connection", "close").end(body);
    }
}
