package io.sagawarden.saga;

import io.sagawarden.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/overview")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Roles.VIEWER, Roles.OPERATOR})
@Tag(name = "Overview", description = "What the console shows first")
public class OverviewResource {

    private final SagaOverview overview;

    public OverviewResource(SagaOverview overview) {
        this.overview = overview;
    }

    @GET
    @Operation(summary = "Sagas by status, the longest lock waits, and the sagas that lately failed, compensated or "
            + "were recovered")
    @APIResponse(responseCode = "200", description = "The overview",
            content = @Content(schema = @Schema(implementation = OverviewView.class)))
    public OverviewView get() {
        return overview.overview();
    }
}
