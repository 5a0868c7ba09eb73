package io.sagawarden.participant;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.sagawarden.db.Json;
import io.sagawarden.db.Storable;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls participants as API.md says: the rendered request with the saga headers, a timeout on the whole
 * exchange, no redirects, and only URLs on the allow-list. It never throws: every way a call can end is a
 * {@link CallResult}.
 */
@ApplicationScoped
public class ParticipantClient {

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http;
    private final ParticipantAllowList allowList;
    private final ParticipantsConfig config;
    /** Replies are read with exact decimals: a double would turn 1e400 into Infinity, which is not JSON. */
    private final ObjectReader replies;
    private final ThisService thisService;

    public ParticipantClient(ParticipantAllowList allowList, ThisService thisService, ParticipantsConfig config, Json json) {
        this.allowList = allowList;
        this.thisService = thisService;
        this.config = config;
        this.replies = json.mapper().reader().with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .executor(executor)
                .build();
    }

    @PreDestroy
    void close() {
        http.shutdownNow();
        executor.shutdownNow();
    }

    /** Calls the participant; nothing of what comes back keeps a secret value the call carried. */
    public CallResult call(ParticipantRequest call) {
        return exchange(call).withoutSecrets(call.secrets());
    }

    private CallResult exchange(ParticipantRequest call) {
        HttpRequest request;
        try {
            request = build(call);
        } catch (IllegalArgumentException e) {
            return CallResult.notCallable(e.getMessage());
        }
        long started = System.nanoTime();
        CompletableFuture<HttpResponse<byte[]>> exchange =
                http.sendAsync(request, LimitedBody.handler(config.maxResponseBytes()));
        try {
            HttpResponse<byte[]> response = exchange.get(call.timeout().toMillis(), TimeUnit.MILLISECONDS);
            Duration took = since(started);
            return call.kind() == CallKind.ACTION
                    ? actionResult(response, took)
                    : CallResult.ofCompensation(response.statusCode(), took);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            return CallResult.unanswered("no answer within " + call.timeout(), since(started), true);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            return CallResult.unanswered("interrupted while waiting for the participant", since(started), true);
        } catch (ExecutionException e) {
            return failed(e.getCause(), call.timeout(), since(started));
        }
    }

    private HttpRequest build(ParticipantRequest call) {
        // Failures name the kind and a URL without its query, never a header value: either may carry a credential.
        URI uri;
        try {
            uri = new URI(call.url());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the rendered URL is not valid: " + e.getReason());
        }
        if (thisService.isReachedBy(uri)) {
            throw new IllegalArgumentException("the URL " + withoutQuery(uri) + " reaches this service's own API or "
                    + "management port");
        }
        if (!allowList.allows(uri)) {
            throw new IllegalArgumentException("the URL " + withoutQuery(uri) + " is outside the participant allow-list");
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(call.timeout());
        call.headers().forEach((name, value) -> {
            try {
                builder.setHeader(name, value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the rendered value of header " + name + " is not valid in HTTP "
                        + "(a line break or another control character)");
            }
        });
        builder.setHeader("Accept", "application/json");
        if (call.body() == null) {
            builder.method(call.method(), HttpRequest.BodyPublishers.noBody());
        } else {
            builder.setHeader("Content-Type", "application/json")
                    .method(call.method(), HttpRequest.BodyPublishers.ofString(call.body().toString()));
        }
        return builder.build();
    }

    /** Scheme, host, port and path: a query is shown as {@code ?…}, whatever it holds. */
    static String withoutQuery(URI uri) {
        if (uri.getRawAuthority() == null) {
            return uri.getScheme() + ":…";
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String shown = uri.getScheme() + "://" + uri.getRawAuthority().replaceFirst("^[^@]*@", "") + path;
        return uri.getRawQuery() == null ? shown : shown + "?…";
    }

    private CallResult actionResult(HttpResponse<byte[]> response, Duration took) {
        int status = response.statusCode();
        byte[] body = response.body();
        if (status < 200 || status >= 300) {
            return CallResult.ofAction(status, null, null, took);
        }
        if (body.length > config.maxResponseBytes()) {
            return CallResult.ofAction(status, null, "the reply is larger than " + config.maxResponseBytes()
                    + " bytes, the most a step keeps", took);
        }
        if (body.length == 0 || isBlank(body)) {
            return CallResult.ofAction(status, null, null, took);
        }
        JsonNode reply;
        try {
            reply = replies.readTree(body);
        } catch (IOException e) {
            return CallResult.ofAction(status, null, "the reply is not JSON (" + contentType(response) + ")", took);
        }
        // A reply the database would refuse is a 2xx that cannot be used, found here once, not by a failing save.
        return Storable.jsonProblem(reply, config.maxResponseBytes())
                .map(why -> CallResult.ofAction(status, null, "the reply cannot be kept: " + why, took))
                .orElseGet(() -> CallResult.ofAction(status, reply, null, took));
    }

    private static CallResult failed(Throwable cause, Duration timeout, Duration took) {
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
            return CallResult.unanswered("could not connect: " + describe(cause), took, false);
        }
        if (cause instanceof HttpTimeoutException) {
            return CallResult.unanswered("no answer within " + timeout, took, true);
        }
        return CallResult.unanswered("the call failed: " + describe(cause), took, true);
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (!Character.isWhitespace(b)) {
                return false;
            }
        }
        return true;
    }

    private static String contentType(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Type").orElse("no content type");
    }

    private static Duration since(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }
}
