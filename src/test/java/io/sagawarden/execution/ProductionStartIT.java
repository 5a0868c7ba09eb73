package io.sagawarden.execution;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged application in its production profile refuses to start when it would be open by omission: without an
 * OpenID Connect provider (unless security is switched off explicitly), and without a participant allow-list (it would
 * be an SSRF gateway). It says what is missing, and it has not touched the database when it stops.
 */
class ProductionStartIT {

    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");

    @Test
    void without_a_provider_it_exits_before_migrating_anything_and_says_how_to_configure_one() throws Exception {
        String database = PostgresTestDatabase.create();
        try {
            Started app = start(database, List.of("-Dsaga.participants.allowed-urls=http://127.0.0.1:*"));

            assertThat(app.exitCode()).as("exit code; output:%n%s", app.output()).isNotZero();
            assertThat(app.output()).contains("no OpenID Connect provider is configured")
                    .contains("QUARKUS_OIDC_AUTH_SERVER_URL").contains("SAGA_SECURITY_ENABLED=false");
            assertThat(tables(database)).as("nothing migrated").isEmpty();
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    @Test
    void without_an_allow_list_it_exits_before_migrating_anything_and_says_what_is_missing() throws Exception {
        String database = PostgresTestDatabase.create();
        try {
            Started app = start(database, List.of("-Dsaga.security.enabled=false"));

            assertThat(app.exitCode()).as("exit code; output:%n%s", app.output()).isNotZero();
            assertThat(app.output()).contains("saga.participants.allowed-urls is not set");
            assertThat(tables(database)).as("nothing migrated").isEmpty();
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    private record Started(int exitCode, String output) {
    }

    private static Started start(String database, List<String> settings) throws Exception {
        assertThat(JAR).as("integration tests run after `mvnw package`").exists();
        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("production-start-" + database + ".log");
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx256m", "-XX:+UseSerialGC",
                "-Dquarkus.http.port=0", "-Dquarkus.management.port=0",
                "-Dquarkus.datasource.jdbc.url=" + PostgresTestDatabase.url(database),
                "-Dquarkus.datasource.username=" + PostgresTestDatabase.USER,
                "-Dquarkus.datasource.password=" + PostgresTestDatabase.PASSWORD));
        command.addAll(settings);
        command.addAll(List.of("-jar", JAR.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // Nothing from the surroundings may choose another profile or supply what the test leaves out.
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("SAGA_") || k.startsWith("QUARKUS_")
                || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
        Process process = builder.start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(exited).as("the app exits within 60 s; its output:%n%s", output).isTrue();
        return new Started(process.exitValue(), output);
    }

    private static List<String> tables(String database) throws Exception {
        try (Connection c = DriverManager.getConnection(PostgresTestDatabase.url(database), PostgresTestDatabase.USER,
                PostgresTestDatabase.PASSWORD);
             ResultSet rs = c.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString("TABLE_NAME"));
            }
            return names;
        }
    }
}
