package io.sagawarden.security;

import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A request that carries the headers of a participant call ({@code Saga-Step} and {@code Saga-Attempt}) is a saga
 * calling an orchestrator, this one by whatever name or another node of its cluster: it could abort, spawn or read
 * sagas or read the metrics. Refused on both the API and the management interface, before anything else runs.
 * Calls to this machine's own ports are refused before they are sent ({@code participant.ThisService}).
 */
@ApplicationScoped
public class NoCallsFromSagas {

    private static final String REFUSAL = """
            {"type":"urn:saga-warden:problem:forbidden","title":"Forbidden","status":403,\
            "detail":"a saga's participant call reached the orchestrator; sagas never call Saga Warden itself",\
            "errors":[{"field":"Saga-Step","message":"marks a participant call"}]}""";

    void onApi(@Observes Router router) {
        router.route().order(-900).handler(NoCallsFromSagas::refuseParticipantCalls);
    }

    void onManagement(@Observes ManagementInterface management) {
        management.router().route().order(-2000).handler(NoCallsFromSagas::refuseParticipantCalls);
    }

    private static void refuseParticipantCalls(RoutingContext context) {
        if (context.request().getHeader("Saga-Step") != null && context.request().getHeader("Saga-Attempt") != null) {
            context.response().setStatusCode(403).putHeader("Content-Type", "application/problem+json").end(REFUSAL);
            return;
        }
        context.next();
    }
}
