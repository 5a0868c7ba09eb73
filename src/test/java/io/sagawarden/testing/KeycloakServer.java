package io.sagawarden.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keycloak on loopback for the tests that claim security: the distribution the build unpacked
 * ({@code keycloak.home}), started once per JVM in dev mode with the project's realm
 * ({@code deploy/keycloak/saga-warden-realm.json}) and a test-only second realm, {@value #OTHER_REALM}, whose
 * tokens are well formed but must not be accepted. Tokens come from the password grant of {@code saga-cli}, as
 * the realm's users would get them with curl.
 */
public final class KeycloakServer {

    public static final String REALM = "saga-warden";
    public static final String OTHER_REALM = "other";
    private static final Path PROJECT_REALM = Path.of("deploy", "keycloak", "saga-warden-realm.json");
    private static final Path OTHER_REALM_FILE = Path.of("src", "test", "resources", "keycloak", "other-realm.json");
    private static final String ADMIN = "admin";
    private static final Duration START = Duration.ofSeconds(180);

    private static KeycloakServer shared;

    private final URI base;
    private final Process process;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private KeycloakServer(URI base, Process process) {
        this.base = base;
        this.process = process;
    }

    /** Where this JVM finds the unpacked distribution; absent on a laptop that built with tests skipped. */
    public static Path home() {
        return Path.of(System.getProperty("keycloak.home", "target/keycloak/keycloak-26.4.0"));
    }

    public static boolean installed() {
        return Files.isRegularFile(home().resolve("bin").resolve("kc.sh"));
    }

    /** Skips the calling test loudly where the distribution is missing (fails under CI), else the running server. */
    public static KeycloakServer require() {
        OutsideProgram.require(installed(), "the security tests need Keycloak unpacked at " + home()
                + " (./mvnw verify unpacks org.keycloak:keycloak-quarkus-dist)");
        return shared();
    }

    /** The JVM's one server, started on first use and stopped when the JVM exits. */
    public static synchronized KeycloakServer shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    private static KeycloakServer start() {
        Path home = home().toAbsolutePath();
        try {
            // A fresh store each time, so the realm files as they are now are what the server serves.
            deleteTree(home.resolve("data"));
            Path imports = Files.createDirectories(home.resolve("data").resolve("import"));
            Files.copy(PROJECT_REALM, imports.resolve("saga-warden-realm.json"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(OTHER_REALM_FILE, imports.resolve("other-realm.json"), StandardCopyOption.REPLACE_EXISTING);
            int port = Processes.freePort();
            Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("keycloak-" + port + ".log");
            ProcessBuilder builder = new ProcessBuilder("bash", home.resolve("bin/kc.sh").toString(), "start-dev",
                    "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + Processes.freePort(),
                    "--import-realm", "--cache=local", "--log-level=WARN")
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = builder.environment();
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN);
            env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN);
            env.put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
            // kc.sh's own list, plus java.lang: on Java 24 and later its thread pools need it opened, or the first
            // blocking request (its login page among them) fails with an IllegalAccessError.
            env.put("JAVA_ADD_OPENS", "--add-opens=java.base/java.util=ALL-UNNAMED "
                    + "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.security=ALL-UNNAMED "
                    + "--add-opens=java.base/java.lang=ALL-UNNAMED");
            env.remove("JAVA_TOOL_OPTIONS");
            env.remove("JDK_JAVA_OPTIONS");
            long started = System.nanoTime();
            Process process = builder.start();
            KeycloakServer server = new KeycloakServer(URI.create("http://127.0.0.1:" + port), process);
            Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "keycloak-stop"));
            Processes.awaitReady(process, "Keycloak", URI.create(server.issuer(OTHER_REALM)
                    + "/.well-known/openid-configuration"), START, log);
            Processes.awaitReady(process, "Keycloak", URI.create(server.issuer(REALM)
                    + "/.well-known/openid-configuration"), START, log);
            System.out.printf("Keycloak %s ready in %.1f s at %s%n", home.getFileName(),
                    (System.nanoTime() - started) / 1e9, server.base);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI base() {
        return base;
    }

    public String issuer() {
        return issuer(REALM);
    }

    public String issuer(String realm) {
        return base + "/realms/" + realm;
    }

    /** An access token of {@code user} (whose password is its name) in the project's realm. */
    public String token(String user) {
        return token(REALM, "saga-cli", user);
    }

    /** An access token from {@code realm}'s {@code client} by the password grant. */
    public String token(String realm, String client, String user) {
        JsonNode answer = post(issuer(realm) + "/protocol/openid-connect/token", null,
                Map.of("grant_type", "password", "client_id", client, "username", user, "password", user, "scope", "openid"));
        return answer.path("access_token").asText();
    }

    /**
     * A token of {@code user} that was valid and has expired: taken from a client the test adds to the realm with a
     * one-second access-token lifespan, then waited out.
     */
    public String expiredToken(String user) {
        String client = "saga-cli-short-lived";
        String admin = post(issuer("master") + "/protocol/openid-connect/token", null,
                Map.of("grant_type", "password", "client_id", "admin-cli", "username", ADMIN, "password", ADMIN))
                .path("access_token").asText();
        String definition = """
                {"clientId": "%s", "publicClient": true, "directAccessGrantsEnabled": true, "standardFlowEnabled": false,
                 "attributes": {"access.token.lifespan": "1"},
                 "protocolMappers": [{"name": "audience saga-warden", "protocol": "openid-connect",
                   "protocolMapper": "oidc-audience-mapper",
                   "config": {"included.client.audience": "saga-warden", "access.token.claim": "true"}}]}
                """.formatted(client);
        send(HttpRequest.newBuilder(URI.create(base + "/admin/realms/" + REALM + "/clients"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(definition)).build(), 201, 409);
        String token = token(REALM, client, user);
        Processes.sleep(2_500);
        return token;
    }

    private JsonNode post(String url, String bearer, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        try {
            return json.readTree(send(request.build(), 200));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String send(HttpRequest request, Integer... expected) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (!List.of(expected).contains(response.statusCode())) {
                throw new IllegalStateException(request.uri() + " answered " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void stop() {
        // kc.sh runs the server as its child; stop both.
        process.descendants().forEach(ProcessHandle::destroy);
        Processes.stop(process, Duration.ofSeconds(20));
        process.descendants().forEach(ProcessHandle::destroyForcibly);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
