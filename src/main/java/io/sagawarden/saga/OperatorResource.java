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
import java.net.URI;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/sagas/{id}")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Operations", description = "Abort, retry and rerun sagas")
public class OperatorResource {

    private final SagaOperations operations;
    private final SagaSubmissions submissions;
    private final Caller caller;

    public OperatorResource(SagaOperations operations, SagaSubmissions submissions, Caller caller) {
        this.operations = operations;
        this.submissions = submissions;
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

    @POST
    @Path("/rerun")
    @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
    @Operation(summary = "Run an ended saga again", description = "Submits a copy of the saga's definition as a new "
            + "saga of the same submitter, linked both ways in the histories. A submitter reruns its own sagas only; "
            + "another's answers 404. The same Idempotency-Key from the same caller returns the saga made the first time.")
    @APIResponse(responseCode = "201", description = "The new saga", content = @Content(schema = @Schema(implementation = SagaView.class)))
    @APIResponse(responseCode = "200", description = "Run again already with this Idempotency-Key: that saga",
            content = @Content(schema = @Schema(implementation = SagaView.class)))
    @APIResponse(responseCode = "404", description = "No such saga",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The saga has not ended",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "Its definition is no longer allowed (allow-list, secrets)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response rerun(@PathParam("id") UUID id,
                          @Parameter(description = "De-duplicates retried reruns (at most 200 characters)")
                          @HeaderParam("Idempotency-Key") String idempotencyKey,
                          @HeaderParam(Caller.OPERATOR_HEADER) String operator) {
        SagaSubmissions.Submitted result = submissions.rerun(id, SagaScope.of(caller.ownSagasOnly()),
                caller.operator(operator), idempotencyKey);
        if (!result.created()) {
            return Response.ok(result.saga()).build();
        }
        return Response.created(URI.create("/api/v1/sagas/" + result.saga().id())).entity(result.saga()).build();
    }
}
