package io.sagawarden.participant;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.Sagas.awaitEnd;
import static io.sagawarden.testing.Sagas.submit;
import static io.sagawarden.testing.TestParticipant.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.TestParticipant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A call that cannot be made is recorded by the kind of its failure and a URL without its query, never with a
 * header value or a query string: either may hold a credential, and every reader sees {@code lastError} and the
 * history.
 */
@QuarkusTest
class NoEchoedCredentialsTest {

    private static final String KEY = "api-key-7f3c9e";

    private TestParticipant participant;

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void a_refused_url_is_recorded_without_its_query() {
        participant.on("/ok/a", json(200, "{\"p\": \"..;\"}"));
        String id = submit(aSaga().payload("{\"key\": \"" + KEY + "\"}").step("a", participant.url("/ok/a"))
                .step("b", participant.url("/ok/{{steps.a.response.p}}/x?api_key={{payload.key}}")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("steps[1].lastError")).contains("outside the participant allow-list").contains("?…")
                .doesNotContain(KEY).doesNotContain("api_key");
        assertThat(given().get("/api/v1/sagas/" + id + "/events").asString()).doesNotContain(KEY).doesNotContain("api_key");
    }

    @Test
    void a_header_value_http_cannot_carry_is_named_by_its_header_only() {
        participant.on("/ok/a", json(200, "{\"h\": \"Bearer " + KEY + "\\r\\nX-Injected: 1\"}"));
        // The header comes from the reply, so only the call can find it wrong.
        String id = submit(aSaga().step("a", participant.url("/ok/a"))
                .step("b", participant.url("/ok/b")).withActionHeader("Authorization", "{{steps.a.response.h}}"));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("steps[1].lastError")).contains("header Authorization").doesNotContain(KEY);
        assertThat(given().get("/api/v1/sagas/" + id + "/events").asString()).doesNotContain(KEY);
        assertThat(participant.calls("/ok/b")).isEmpty();
    }
}
