package io.sagawarden.deadlock;

import io.sagawarden.db.Page;
import io.sagawarden.problem.Problem;
import io.sagawarden.problem.QueryParams;
import io.sagawarden.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1")
@RolesAllowed({Roles.VIEWER, Roles.OPERATOR})
@Tag(name = "Deadlocks", description = "Deadlocks found and resolved, and the live wait-for graph")
public class DeadlockResource {

    private final DeadlockQueries deadlocks;
    private final WaitForGraphView graphs;

    public DeadlockResource(DeadlockQueries deadlocks, WaitForGraphView graphs) {
        this.deadlocks = deadlocks;
        this.graphs = graphs;
    }

    @GET
    @Path("/deadlocks")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Deadlocks, newest first")
    @APIResponse(responseCode = "200", description = "A page of deadlocks")
    @APIResponse(responseCode = "400", description = "A bad limit or cursor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Page<DeadlockView> list(@QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        return deadlocks.list(QueryParams.intParam("limit", limit, 50, 1, 500), cursor == null || cursor.isEmpty() ? null : cursor);
    }

    @GET
    @Path("/deadlocks/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "One deadlock: its cycle, its victim and why")
    @APIResponse(responseCode = "200", description = "The deadlock")
    @APIResponse(responseCode = "404", description = "No such deadlock",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public DeadlockView get(@PathParam("id") UUID id) {
        return deadlocks.get(id);
    }

    @GET
    @Path("/wait-for-graph")
    @Produces({MediaType.APPLICATION_JSON, "text/vnd.graphviz"})
    @Operation(summary = "The current wait-for graph", description = "format=json (default) or dot (Graphviz)")
    @APIResponse(responseCode = "200", description = "The graph")
    @APIResponse(responseCode = "400", description = "An unknown format",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response graph(@QueryParam("format") String format,
                          @Parameter(description = "Most edges shown, 1..100000, default 10000; those of deadlocks first")
                          @QueryParam("limit") String limit) {
        String f = format == null || format.isEmpty() ? "json" : format;
        int edges = QueryParams.intParam("limit", limit, 10_000, 1, 100_000);
        return switch (f) {
            case "json" -> Response.ok(graphs.json(edges), MediaType.APPLICATION_JSON).build();
            case "dot" -> Response.ok(graphs.dot(edges), "text/vnd.graphviz").build();
            default -> throw QueryParams.bad("format", "must be json or dot");
        };
    }
}
