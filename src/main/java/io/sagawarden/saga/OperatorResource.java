package io.sagawarden.saga;

import io.sagawarden.problem.Problem;
import io.sagawarden.saga.SagaReason;
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

    public OperatorResource(SagaOperations operations) {
        this.operations = operations;
    }

    @POST
    @Path("/abort")
    @Operation(summary = "Abort a saga", description = "The saga compensates its completed steps with reason OPERATOR_ABORT.")
    @APIResponse(responseCode = "202", description = "Abort requested")
    @APIResponse(responseCode = "404", description = "No such saga",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The saga has ended or is already compensating",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response abort(@PathParam("id") UUID id, @HeaderParam("Saga-Operator") String operator) {
        operations.abort(id, SagaReason.OPERATOR_ABORT, operator == null ? "operator" : operator);
        return Response.accepted().build();
    }

    @POST
    @Path("/retry")
    @Operation(summary = "Retry a saga's current step",
            description = "A FAILED saga retries its failed compensation; a stuck saga runs its current step now.")
    @APIResponse(responseCode = "202", description = "Retry scheduled")
    @APIResponse(responseCode = "404", description = "No such saga",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Nothing to retry: ended, not started, or running now",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response retry(@PathParam("id") UUID id, @HeaderParam("Saga-Operator") String operator) {
        operations.retry(id, operator == null ? "operator" : operator);
        return Response.accepted().build();
    }
}
