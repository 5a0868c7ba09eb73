package io.sagawarden.saga;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.sagawarden.db.Page;
import io.sagawarden.problem.Problem;
import io.sagawarden.problem.QueryParams;
import io.sagawarden.security.Caller;
import io.sagawarden.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/sagas")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Sagas", description = "Submit sagas and read them back")
public class SagaResource {

    static final int DEFAULT_PAGE = 50;
    static final int MAX_PAGE = 500;

    private final SagaSubmissions submissions;
    private final SagaQueries queries;
    private final Caller caller;

    public SagaResource(SagaSubmissions submissions, SagaQueries queries, Caller caller) {
        this.submissions = submissions;
        this.queries = queries;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.SUBMITTER)
    @Operation(summary = "Submit a saga", description = "Stores the saga PENDING; the same Idempotency-Key with "
            + "the same body returns the existing saga, with another body 409.")
    @RequestBody(required = true, content = @Content(schema = @Schema(implementation = SagaRequest.class)))
    @APIResponse(responseCode = "201", description = "Created", content = @Content(schema = @Schema(implementation = SagaView.class)))
    @APIResponse(responseCode = "200", description = "Already submitted with this Idempotency-Key and body",
            content = @Content(schema = @Schema(implementation = SagaView.class)))
    @APIResponse(responseCode = "400", description = "Malformed JSON, unknown or missing field, bad value",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Idempotency-Key used with another body",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "Body larger than saga.limits.max-body-bytes",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "Body is not application/json",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "Well-formed but not allowed (allow-list, duplicate step "
            + "names, templates naming unknown or later steps)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response submit(byte[] body,
                           @Parameter(description = "De-duplicates retried submissions (at most 200 characters)")
                           @HeaderParam("Idempotency-Key") String idempotencyKey,
                           @Parameter(description = "Only while security is off: the submitting service, which "
                                   + "scopes idempotency keys; with security on the token names the submitter")
                           @HeaderParam(Caller.SUBMITTER_HEADER) String submitter,
                           @Parameter(description = "W3C Trace Context: the participant calls of the saga belong to "
                                   + "this trace (without a valid one, to a trace whose id is the saga's)")
                           @HeaderParam("traceparent") String traceparent) {
        SagaSubmissions.Submitted result = submissions.submit(body, idempotencyKey, caller.submitter(submitter),
                TraceParent.parse(traceparent).map(SagaResource::underThisRequest).orElse(null));
        if (!result.created()) {
            return Response.ok(result.saga()).build();
        }
        return Response.created(URI.create("/api/v1/sagas/" + result.saga().id())).entity(result.saga()).build();
    }

    /**
     * The submission's trace under this request's own span, when the service traces requests (OpenTelemetry on):
     * the saga's calls then hang under the {@code POST} that submitted it.
     */
    private static TraceParent underThisRequest(TraceParent submitted) {
        SpanContext request = Span.current().getSpanContext();
        return request.isValid() && request.getTraceId().equals(submitted.traceId())
                ? submitted.under(request.getSpanId()) : submitted;
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.SUBMITTER, Roles.VIEWER, Roles.OPERATOR})
    @Operation(summary = "Read one saga", description = "A submitter reads its own sagas only; another's answers 404.")
    @APIResponse(responseCode = "200", description = "The saga view",
            content = @Content(schema = @Schema(implementation = SagaView.class)))
    @APIResponse(responseCode = "404", description = "No such saga",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public SagaView get(@PathParam("id") UUID id) {
        return queries.view(id, scope());
    }

    @GET
    @RolesAllowed({Roles.SUBMITTER, Roles.VIEWER, Roles.OPERATOR})
    @Operation(summary = "List sagas, newest first", description = "A submitter lists its own sagas only.")
    @APIResponse(responseCode = "200", description = "A page of sagas and the cursor of the next page")
    @APIResponse(responseCode = "400", description = "A bad filter, limit or cursor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Page<SagaSummary> list(
            @Parameter(schema = @Schema(implementation = SagaStatus.class)) @QueryParam("status") String status,
            @QueryParam("type") String type,
            @Parameter(description = "key:value; repeat to require several labels",
                    schema = @Schema(type = SchemaType.ARRAY, implementation = String.class))
            @QueryParam("label") List<String> labels,
            @Parameter(description = "1.." + MAX_PAGE + ", default " + DEFAULT_PAGE) @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page") @QueryParam("cursor") String cursor) {
        SagaQueries.Filter filter = new SagaQueries.Filter(QueryParams.enumParam("status", status, SagaStatus.class),
                type == null || type.isEmpty() ? null : type, labels == null ? List.of() : labels, scope());
        return queries.list(filter, QueryParams.intParam("limit", limit, DEFAULT_PAGE, 1, MAX_PAGE),
                cursor == null || cursor.isEmpty() ? null : cursor);
    }

    @GET
    @Path("/{id}/events")
    @RolesAllowed({Roles.SUBMITTER, Roles.VIEWER, Roles.OPERATOR})
    @Operation(summary = "A saga's history, oldest first", description = "A submitter reads its own sagas only.")
    @APIResponse(responseCode = "200", description = "The events")
    @APIResponse(responseCode = "404", description = "No such saga",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public List<EventView> events(@PathParam("id") UUID id) {
        return queries.events(id, scope());
    }

    private SagaScope scope() {
        return SagaScope.of(caller.ownSagasOnly());
    }
}
