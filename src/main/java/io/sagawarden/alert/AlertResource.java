package io.sagawarden.alert;

import io.sagawarden.db.Page;
import io.sagawarden.problem.Problem;
import io.sagawarden.problem.QueryParams;
import io.sagawarden.security.Caller;
import io.sagawarden.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.Locale;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/alerts")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Alerts", description = "Alerts for operators")
public class AlertResource {

    private final AlertQueries queries;
    private final Alerts alerts;
    private final Caller caller;

    public AlertResource(AlertQueries queries, Alerts alerts, Caller caller) {
        this.queries = queries;
        this.alerts = alerts;
        this.caller = caller;
    }

    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR})
    @Operation(summary = "Alerts, newest first")
    @APIResponse(responseCode = "200", description = "A page of alerts")
    @APIResponse(responseCode = "400", description = "A bad filter, limit or cursor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Page<AlertView> list(@QueryParam("state") String state, @QueryParam("severity") String severity,
                                @QueryParam("kind") String kind, @QueryParam("sagaId") String sagaId,
                                @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        String s = state == null || state.isEmpty() ? null : state.toUpperCase(Locale.ROOT);
        if (s != null && !s.matches("OPEN|ACKNOWLEDGED|RESOLVED")) {
            throw QueryParams.bad("state", "must be OPEN, ACKNOWLEDGED or RESOLVED");
        }
        String sev = severity == null || severity.isEmpty() ? null : severity.toLowerCase(Locale.ROOT);
        if (sev != null && !sev.matches("warning|critical")) {
            throw QueryParams.bad("severity", "must be warning or critical");
        }
        return queries.list(new AlertQueries.Filter(s, sev, QueryParams.enumParam("kind", kind, AlertKind.class),
                        QueryParams.uuidParam("sagaId", sagaId)),
                QueryParams.intParam("limit", limit, 50, 1, 500), cursor);
    }

    @POST
    @Path("/{id}/ack")
    @Transactional
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Acknowledge an alert", description = "The operator has seen it; it stays until its condition ends.")
    @APIResponse(responseCode = "200", description = "The acknowledged alert")
    @APIResponse(responseCode = "404", description = "No such alert",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The alert is resolved already",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public AlertView acknowledge(@PathParam("id") UUID id, @HeaderParam(Caller.OPERATOR_HEADER) String operator) {
        alerts.acknowledge(id, caller.operator(operator));
        return queries.get(id);
    }
}
