package io.sagawarden.saga;

import io.sagawarden.problem.Problem;
import io.sagawarden.security.Caller;
import io.sagawarden.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/sagas/{id}")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Operations", description = "Abort and retry sagas")
public class OperatorResource {

    private final SagaOperations operations;
    private final Caller caller;

    public OperatorResource(SagaOperations operations, Caller caller) {
        this.operations = operations;
        this.caller = caller;
    }

    @POST
    @Path("/abort")
    @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
    @Operation(summary = "Abort a saga", description = "The saga compensates its completed steps with reason "
            + "OPERATOR_ABORT. A submitter aborts its own sagas only; another's answers 404.")
    @APIResponse(responseCode = "202", description = "Abort requested")
    @APIResponse(responseCode = "404", description = "No such saga",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The saga has ended or is already compensating",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response abort(@PathParam("id") UUID id, @HeaderParam(Caller.OPERATOR_HEADER) String operator) {
        operations.abort(id, SagaScope.of(caller.ownSagasOnly()), caller.operator(operator));
        return Response.accepted().build();
    }

    @POST
    @Path("/retry")
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Retry a saga's current step",
            description = "A FAILED saga retries its failed compensation; a stuck saga runs its current step now.")
    @APIResponse(responseCode = "202", description = "Retry scheduled")
    @APIResponse(responseCode = "404", description = "No such saga",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Nothing to retry: ended, not started, or running now",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response retry(@PathParam("id") UUID id, @HeaderParam(Caller.OPERATOR_HEADER) String operator) {
        operations.retry(id, caller.operator(operator));
        return Response.accepted().build();
    }
}
