package io.sagawarden.saga;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sagawarden.testing.Db;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * What used to be stored although it could not work or would not stay what it was: a header that the payload fills
 * with a line break, text with unpaired surrogates (stored as {@code ?}, so two resources became one), over-long
 * identity headers. Each is refused with a 400 naming the field, and nothing is stored.
 */
@QuarkusTest
class RefusedInputTest {

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    @Test
    void refused_submissions_name_the_field_and_store_nothing() {
        Map<String, String> refused = Map.of(
                """
                {"type": "RefusedInput", "payload": {"h": "a\\r\\nX-Injected: 1"}, "steps": [{"name": "s",
                 "action": {"method": "POST", "url": "http://127.0.0.1:9/x", "headers": {"X-Note": "{{payload.h}}"}}}]}""",
                "steps[0].action.headers.X-Note",
                """
                {"type": "RefusedInput", "steps": [{"name": "s", "locks": [{"resource": "r\\ud800", "mode": "EXCLUSIVE"}],
                 "action": {"method": "POST", "url": "http://127.0.0.1:9/x"}}]}""",
                "steps[0].locks[0].resource",
                """
                {"type": "RefusedInput", "labels": {"k": "\\udc00"}, "steps": [{"name": "s",
                 "action": {"method": "POST", "url": "http://127.0.0.1:9/x"}}]}""",
                "labels.k",
                """
                {"type": "RefusedInput", "payload": {"\\ud800": 1}, "steps": [{"name": "s",
                 "action": {"method": "POST", "url": "http://127.0.0.1:9/x"}}]}""",
                "payload");
        refused.forEach((body, field) -> given().contentType(ContentType.JSON).body(body).post("/api/v1/sagas")
                .then().statusCode(400).contentType("application/problem+json").body("errors.field", hasItem(field)));
        String plain = """
                {"type": "RefusedInput", "steps": [{"name": "s", "action": {"method": "POST", "url": "http://127.0.0.1:9/x"}}]}""";
        given().contentType(ContentType.JSON).header("Saga-Submitter", "s".repeat(10_000)).body(plain)
                .post("/api/v1/sagas").then().statusCode(400).body("errors.field", hasItem("Saga-Submitter"));
        given().contentType(ContentType.JSON).header("Idempotency-Key", "k".repeat(201)).body(plain)
                .post("/api/v1/sagas").then().statusCode(400).body("errors.field", hasItem("Idempotency-Key"));

        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM sagas WHERE type = 'RefusedInput'")).isZero();
    }
}
