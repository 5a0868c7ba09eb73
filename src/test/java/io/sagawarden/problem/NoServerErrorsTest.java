package io.sagawarden.problem;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Inputs that used to reach PostgreSQL and fail there with a 500 are refused with a 400 naming the parameter:
 * cursors holding times outside PostgreSQL's range, NUL characters in filters, an over-long operator name.
 */
@QuarkusTest
class NoServerErrorsTest {

    @Test
    void a_cursor_with_a_time_postgresql_cannot_hold_is_a_400_on_every_listing() {
        for (String time : List.of("+1000000000-01-01T00:00:00Z", "-1000000000-01-01T00:00:00Z", "-4714-11-24T00:00:00Z")) {
            String cursor = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((time + "|" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
            for (String listing : List.of("/api/v1/sagas", "/api/v1/alerts", "/api/v1/deadlocks")) {
                given().queryParam("cursor", cursor).get(listing).then().statusCode(400)
                        .contentType("application/problem+json").body("errors.field", hasItem("cursor"));
            }
        }
    }

    @Test
    void a_nul_character_in_a_filter_is_a_400_naming_it() {
        given().urlEncodingEnabled(false).get("/api/v1/sagas?type=a%00b").then().statusCode(400)
                .body("errors.field", hasItem("type"));
        given().urlEncodingEnabled(false).get("/api/v1/sagas?label=k:%00").then().statusCode(400)
                .body("errors.field", hasItem("label"));
        given().urlEncodingEnabled(false).get("/api/v1/locks?resource=r%00").then().statusCode(400)
                .body("errors.field", hasItem("resource"));
        given().urlEncodingEnabled(false).get("/api/v1/alerts?kind=%00").then().statusCode(400);
    }

    @Test
    void an_operator_name_over_200_characters_is_a_400_naming_the_header() {
        given().header("Saga-Operator", "o".repeat(201)).contentType(ContentType.JSON)
                .post("/api/v1/alerts/" + UUID.randomUUID() + "/ack").then().statusCode(400)
                .body("errors.field", hasItem("Saga-Operator"));
        given().header("Saga-Operator", "o".repeat(10_000)).contentType(ContentType.JSON)
                .post("/api/v1/sagas/" + UUID.randomUUID() + "/abort").then().statusCode(400)
                .body("errors.field", hasItem("Saga-Operator"));
    }
}
