package io.sagawarden.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagawarden.problem.ProblemException;
import io.sagawarden.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Ready-made sagas the console offers to submit, so that a newcomer sees one complete, one compensate and two
 * deadlock without writing anything: the JSON files of a directory ({@code saga.console.demo-sagas}, set in dev mode
 * to the example shop's, deploy/examples/shop/sagas). Files {@code <name>.json} are a demo each; files
 * {@code <name>-a.json}, {@code <name>-b.json} are one demo whose sagas are submitted together. Unset (as in
 * production), there are none and the console shows no demo.
 */
@jakarta.ws.rs.Path("/console/demo-sagas")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Console", description = "The operator console's own settings")
public class DemoSagas {

    /** A demo: its name and the saga bodies to submit at once. */
    public record Demo(String name, List<JsonNode> sagas) {
    }

    /** Demo files are a few KB; a larger one is not a demo. */
    private static final long MAX_FILE_BYTES = 64 * 1024;

    private final Optional<Path> directory;
    private final ObjectMapper mapper;

    public DemoSagas(@ConfigProperty(name = "saga.console.demo-sagas") Optional<Path> directory, ObjectMapper mapper) {
        this.directory = directory;
        this.mapper = mapper;
    }

    /** Whether there are demos to offer: a directory is configured and is there. */
    public boolean offered() {
        return directory.filter(Files::isDirectory).isPresent();
    }

    @GET
    @RolesAllowed({Roles.SUBMITTER, Roles.VIEWER, Roles.OPERATOR})
    @Operation(summary = "Demo sagas", description = "404 unless saga.console.demo-sagas names a directory (dev mode).")
    public List<Demo> demos() {
        Path dir = directory.filter(Files::isDirectory)
                .orElseThrow(() -> new ProblemException.NotFound("no demo sagas are configured"));
        Map<String, List<JsonNode>> byName = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                if (Files.size(file) <= MAX_FILE_BYTES) {
                    byName.computeIfAbsent(demoName(file), n -> new ArrayList<>()).add(mapper.readTree(file.toFile()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the demo sagas in " + dir + ": " + e.getMessage(), e);
        }
        return byName.entrySet().stream().map(e -> new Demo(e.getKey(), e.getValue())).toList();
    }

    /** {@code deadlock-a.json} and {@code deadlock-b.json} are the demo {@code deadlock}. */
    static String demoName(Path file) {
        String name = file.getFileName().toString();
        name = name.substring(0, name.length() - ".json".length());
        return name.matches(".+-[a-z]") ? name.substring(0, name.length() - 2) : name;
    }
}
