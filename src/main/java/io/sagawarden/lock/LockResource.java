package io.sagawarden.lock;

import io.sagawarden.problem.Problem;
import io.sagawarden.problem.QueryParams;
import io.sagawarden.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/locks")
@RolesAllowed({Roles.VIEWER, Roles.OPERATOR})
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Locks", description = "Semantic locks held and requests queued")
public class LockResource {

    private final LockQueries queries;

    public LockResource(LockQueries queries) {
        this.queries = queries;
    }

    @GET
    @Operation(summary = "Held locks and queued waits", description = "Optionally for one resource or one saga; "
            + "each wait shows its place in the queue and who it waits for.")
    @APIResponse(responseCode = "200", description = "Locks and waits")
    @APIResponse(responseCode = "400", description = "A bad sagaId or limit",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public LockView locks(@QueryParam("resource") String resource, @QueryParam("sagaId") String sagaId,
                          @QueryParam("limit") String limit) {
        return queries.locks(resource == null || resource.isEmpty() ? null : resource, QueryParams.uuidParam("sagaId", sagaId),
                QueryParams.intParam("limit", limit, 1000, 1, 10000));
    }
}
