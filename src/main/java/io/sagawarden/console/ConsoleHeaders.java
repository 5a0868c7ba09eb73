package io.sagawarden.console;

import io.sagawarden.security.SecurityConfig;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;

/**
 * The headers that keep the console and the API out of other sites' pages: nothing may frame them, no type is
 * sniffed, no URL leaks in a Referer. The console's pages may load only themselves and talk only to this service and
 * the login provider; they are revalidated on every load, so a new version is never hidden behind a cached one.
 * The Swagger UI keeps its own inline scripts and is left as Quarkus serves it.
 */
@ApplicationScoped
public class ConsoleHeaders {

    private final String consolePolicy;

    public ConsoleHeaders(SecurityConfig config) {
        String provider = config.enabled() ? " " + origin(config.browserProvider().orElseThrow()) : "";
        this.consolePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                + "connect-src 'self'" + provider + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    void install(@Observes Router router) {
        router.route().order(-1000).handler(this::onResponse);
    }

    private void onResponse(RoutingContext context) {
        String path = context.normalizedPath();
        context.addHeadersEndHandler(ignored -> {
            HttpServerResponse response = context.response();
            response.putHeader("X-Content-Type-Options", "nosniff");
            response.putHeader("Referrer-Policy", "no-referrer");
            if (path.startsWith("/q/")) {
                return;
            }
            response.putHeader("X-Frame-Options", "DENY");
            if (path.startsWith("/api/")) {
                response.putHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
                response.putHeader("Cache-Control", "no-store");
            } else {
                response.putHeader("Content-Security-Policy", consolePolicy);
                response.putHeader("Cache-Control", "no-cache");
            }
        });
        context.next();
    }

    private static String origin(String url) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getRawAuthority();
    }
}
