package io.sagawarden.execution;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged application in its production profile refuses to start without a participant allow-list, so that
 * it can never be deployed as an open SSRF gateway by omission.
 */
class ProductionStartIT {

    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");

    @Test
    void the_packaged_app_without_an_allow_list_exits_non_zero_and_says_what_is_missing() throws Exception {
        assertThat(JAR).as("integration tests run after `mvnw package`").exists();
        String database = PostgresTestDatabase.create();
        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("production-start.log");
        try {
            ProcessBuilder builder = new ProcessBuilder(List.of(
                    ProcessHandle.current().info().command().orElse("java"), "-Xmx256m", "-XX:+UseSerialGC",
                    "-Dquarkus.http.port=0",
                    "-Dquarkus.datasource.jdbc.url=" + PostgresTestDatabase.url(database),
                    "-Dquarkus.datasource.username=" + PostgresTestDatabase.USER,
                    "-Dquarkus.datasource.password=" + PostgresTestDatabase.PASSWORD,
                    "-jar", JAR.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            // Nothing from the surroundings may choose another profile or supply the list.
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(k -> k.startsWith("SAGA_PARTICIPANTS") || k.startsWith("QUARKUS_PROFILE")
                    || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
            Process process = builder.start();
            boolean exited = process.waitFor(60, TimeUnit.SECONDS);
            if (!exited) {
                process.destroyForcibly().waitFor();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);

            assertThat(exited).as("the app exits within 60 s; its output:%n%s", output).isTrue();
            assertThat(process.exitValue()).as("exit code; output:%n%s", output).isNotZero();
            assertThat(output).contains("saga.participants.allowed-urls is not set");
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }
}
