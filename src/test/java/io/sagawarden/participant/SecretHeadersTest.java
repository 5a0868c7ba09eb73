package io.sagawarden.participant;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.TestParticipant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A step's header may carry {@code {{secrets.<name>}}}: the participant receives the configured value
 * ({@code saga.secrets.test-token} in the test profile), and nothing the service keeps or shows has it, not even a
 * reply that echoes it. A secret anywhere but a header value, or one that is not configured, is refused at submission.
 */
@QuarkusTest
class SecretHeadersTest {

    private static final String SECRET = "test-token-4d1f9a";

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    private TestParticipant participant;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        // A careless participant: it echoes the credential in its reply.
        participant.on("/echo", (n, call) -> reply(200, "{\"seen\": \"" + call.header("Authorization") + "\"}"));
        participant.on("/refuse", (n, call) -> reply(400, "{\"error\": \"no\"}"));
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void the_participant_gets_the_secret_and_nothing_kept_or_shown_has_it() {
        String saga = given().contentType(ContentType.JSON).body(saga("SecretSaga", """
                "headers": {"Authorization": "Bearer {{secrets.test-token}}"}""")).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
        JsonPath ended = Eventually.await("the saga to end", Duration.ofSeconds(20),
                () -> given().get("/api/v1/sagas/" + saga).then().extract().jsonPath(),
                v -> "COMPENSATED".equals(v.getString("status")));

        assertThat(participant.calls("/echo")).extracting(c -> c.header("Authorization")).containsExactly("Bearer " + SECRET);
        assertThat(participant.calls("/undo")).extracting(c -> c.header("Authorization")).containsExactly("Bearer " + SECRET);
        assertThat(ended.getString("steps[0].response.seen")).isEqualTo("Bearer " + SecretValues.MASK);
        String shown = given().get("/api/v1/sagas/" + saga).asString() + given().get("/api/v1/sagas/" + saga + "/events").asString();
        assertThat(shown).doesNotContain(SECRET).contains(SecretValues.MASK);
        Db db = Db.ofUrl(jdbcUrl);
        assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + saga + "' AND definition::text LIKE '%{{secrets.test-token}}%'"))
                .as("the definition keeps the reference").isEqualTo(1);
        for (String table : List.of("sagas", "saga_steps", "saga_events", "alerts")) {
            assertThat(db.count("SELECT count(*) FROM " + table + " t WHERE t::text LIKE '%" + SECRET + "%'"))
                    .as("rows of %s with the secret", table).isZero();
        }
    }

    @Test
    void a_secret_outside_a_header_value_or_not_configured_is_refused_and_nothing_is_stored() {
        Map<String, String> refused = Map.of(
                "\"headers\": {\"Authorization\": \"Bearer {{secrets.no-such-secret}}\"}", "steps[0].action.headers.Authorization",
                "\"body\": {\"token\": \"{{secrets.test-token}}\"}", "steps[0].action.body.token",
                "\"headers\": {\"Authorization\": \"Bearer {{secrets.Test_Token}}\"}", "steps[0].action.headers.Authorization");
        refused.forEach((call, field) -> given().contentType(ContentType.JSON).body(saga("RefusedSecretSaga", call)).post("/api/v1/sagas")
                .then().statusCode(org.hamcrest.Matchers.oneOf(400, 422)).contentType("application/problem+json")
                .body("errors.field", org.hamcrest.Matchers.hasItem(field))
                .body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString(SECRET))));
        String inUrl = """
                {"type": "SecretInUrl", "steps": [{"name": "echo", "action": {"method": "POST",
                  "url": "%s?token={{secrets.test-token}}"}}]}""".formatted(participant.url("/echo"));
        given().contentType(ContentType.JSON).body(inUrl).post("/api/v1/sagas").then().statusCode(422)
                .body("errors.field", org.hamcrest.Matchers.hasItem("steps[0].action.url"));
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM sagas WHERE type IN ('RefusedSecretSaga', 'SecretInUrl')"))
                .isZero();
    }

    /** A saga whose first action echoes and whose second step fails, so that the first is compensated too. */
    private String saga(String type, String actionExtras) {
        return """
                {"type": "%s", "steps": [
                  {"name": "echo", "action": {"method": "POST", "url": "%s", %s},
                   "compensation": {"method": "POST", "url": "%s", "headers": {"Authorization": "Bearer {{secrets.test-token}}"}},
                   "retry": {"maxAttempts": 1}},
                  {"name": "fail", "action": {"method": "POST", "url": "%s"}, "retry": {"maxAttempts": 1}}]}
                """.formatted(type, participant.url("/echo"), actionExtras, participant.url("/undo"), participant.url("/refuse"));
    }

    private static TestParticipant.Reply reply(int status, String json) {
        return new TestParticipant.Reply(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
