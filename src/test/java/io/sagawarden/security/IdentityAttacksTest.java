package io.sagawarden.security;

import static io.restassured.RestAssured.given;
import static io.sagawarden.security.AccessMatrixTest.as;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.KeycloakServer;
import io.sagawarden.testing.SecuredProfile;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an attacker on the network tries, against the real Keycloak: tokens that are not valid here, identity headers
 * that claim to be someone else, another submitter's idempotency keys and sagas, and requests a page on another site
 * can make a browser send. None of them reads or changes anything.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class IdentityAttacksTest {

    private static KeycloakServer keycloak;
    private static TestParticipant participant;

    @Inject
    Alerts alerts;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    @TestHTTPResource("/")
    URL base;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeAll
    static void start() {
        keycloak = KeycloakServer.require();
        AccessMatrixTest.tokens();
        participant = TestParticipant.start();
        participant.on("/hold", participant.hang());
    }

    @AfterAll
    static void stop() {
        if (participant != null) {
            participant.close();
        }
    }

    @Test
    void tokens_that_are_not_valid_here_are_refused_with_401() {
        String alice = keycloak.token("alice");
        Map<String, String> refused = Map.of(
                "garbage", "not.a.token",
                "expired", keycloak.expiredToken("otto"),
                "from another realm", keycloak.token(KeycloakServer.OTHER_REALM, "saga-cli", "otto"),
                "for another audience", keycloak.token(KeycloakServer.REALM, "admin-cli", "otto"),
                "unsigned (alg none)", unsigned(alice),
                "with its claims changed", withClaims(alice, "\"preferred_username\":\"alice\"", "\"preferred_username\":\"otto\""));
        refused.forEach((what, token) -> {
            Response answer = given().auth().oauth2(token).get("/api/v1/sagas");
            assertThat(answer.statusCode()).as("a token " + what).isEqualTo(401);
            assertThat(answer.contentType()).as("a token " + what).startsWith("application/problem+json");
            assertThat(answer.header("WWW-Authenticate")).as("a token " + what).startsWith("Bearer");
            given().auth().oauth2(token).contentType(ContentType.JSON).body(aSaga().type("Refused").step("one",
                    participant.url("/one")).json()).post("/api/v1/sagas").then().statusCode(401);
        });
        assertThat(given().auth().oauth2(alice).get("/api/v1/sagas").statusCode()).as("the token they came from").isEqualTo(200);
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM sagas WHERE type = 'Refused'")).isZero();
    }

    @Test
    void identity_headers_are_ignored_the_token_names_the_submitter_and_the_operator() {
        String saga = as("alice").header("Saga-Submitter", "bob").contentType(ContentType.JSON)
                .body(held("ForgedSubmitter")).post("/api/v1/sagas").then().statusCode(201).extract().path("id");
        as("alice").get("/api/v1/sagas/" + saga).then().statusCode(200).body("submitter", is("alice"));
        as("bob").get("/api/v1/sagas/" + saga).then().statusCode(404);

        as("otto").header("Saga-Operator", "alice (forged)").contentType(ContentType.JSON)
                .post("/api/v1/sagas/" + saga + "/abort").then().statusCode(202);
        List<Map<String, Object>> events = as("alice").get("/api/v1/sagas/" + saga + "/events").then().statusCode(200)
                .extract().jsonPath().getList("findAll { it.kind == 'ABORT_REQUESTED' }");
        assertThat(events).singleElement().satisfies(e -> assertThat(((Map<?, ?>) e.get("detail")).get("by")).isEqualTo("otto"));

        UUID alert = alerts.raise(AlertKind.STUCK, UUID.fromString(saga), "held", "held by the test", Map.of()).orElseThrow();
        as("otto").header("Saga-Operator", "alice (forged)").contentType(ContentType.JSON)
                .post("/api/v1/alerts/" + alert + "/ack").then().statusCode(200).body("acknowledgedBy", is("otto"));
    }

    @Test
    void idempotency_keys_belong_to_the_token_identity() {
        String key = "order-" + UUID.randomUUID();
        String alices = held("KeyedSaga");
        String bobs = aSaga().type("KeyedSaga").priority(7).step("hold", participant.url("/hold")).withActionTimeout("PT60S").json();

        String first = as("alice").header("Idempotency-Key", key).contentType(ContentType.JSON).body(alices)
                .post("/api/v1/sagas").then().statusCode(201).extract().path("id");
        // bob, even claiming to be alice, has keys of his own: his request is new, not a conflict with hers.
        String his = as("bob").header("Idempotency-Key", key).header("Saga-Submitter", "alice").contentType(ContentType.JSON)
                .body(bobs).post("/api/v1/sagas").then().statusCode(201).extract().path("id");
        assertThat(his).isNotEqualTo(first);
        as("alice").header("Idempotency-Key", key).contentType(ContentType.JSON).body(alices)
                .post("/api/v1/sagas").then().statusCode(200).body("id", is(first));
        as("alice").header("Idempotency-Key", key).contentType(ContentType.JSON).body(bobs)
                .post("/api/v1/sagas").then().statusCode(409);
        as("bob").header("Idempotency-Key", key).contentType(ContentType.JSON).body(bobs)
                .post("/api/v1/sagas").then().statusCode(200).body("id", is(his));
    }

    @Test
    void a_submitter_lists_and_reads_only_its_own_sagas_and_readers_see_all() {
        String type = "Listed" + UUID.randomUUID().toString().substring(0, 8);
        String alices = as("alice").contentType(ContentType.JSON).body(held(type)).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
        String bobs = as("bob").contentType(ContentType.JSON).body(held(type)).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");

        assertThat(listed("alice", type)).containsExactly(alices);
        assertThat(listed("bob", type)).containsExactly(bobs);
        assertThat(listed("vera", type)).containsExactlyInAnyOrder(alices, bobs);
        assertThat(listed("otto", type)).containsExactlyInAnyOrder(alices, bobs);
        as("bob").get("/api/v1/sagas/" + alices + "/events").then().statusCode(404);
        as("bob").contentType(ContentType.JSON).post("/api/v1/sagas/" + alices + "/abort").then().statusCode(404);
        as("alice").get("/api/v1/sagas/" + alices).then().statusCode(200).body("status", is("RUNNING"));
    }

    @Test
    void requests_a_page_on_another_site_could_send_change_nothing() {
        String saga = as("alice").contentType(ContentType.JSON).body(held("CrossSite")).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
        String token = keycloak.token("otto");
        // Simple requests need no CORS preflight: a form, plain text, or no Content-Type. Even with a valid token
        // (which a cross-site page cannot attach) they are refused before anything runs.
        for (String type : new String[] {"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""}) {
            assertThat(rawPost("/api/v1/sagas/" + saga + "/abort", type, "x=1", token).statusCode()).as(type).isEqualTo(415);
            HttpResponse<String> submit = rawPost("/api/v1/sagas", type, held("CrossSite"), token);
            assertThat(submit.statusCode()).as(type).isEqualTo(415);
            assertThat(submit.headers().firstValue("Content-Type")).as(type).hasValue("application/problem+json");
        }
        // A preflight from another origin is not answered with any permission.
        Response preflight = given().header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type").options("/api/v1/sagas/" + saga + "/abort");
        assertThat(preflight.header("Access-Control-Allow-Origin")).isNull();
        assertThat(preflight.header("Access-Control-Allow-Credentials")).isNull();

        JsonPath view = as("alice").get("/api/v1/sagas/" + saga).then().statusCode(200).extract().jsonPath();
        assertThat(view.getString("status")).isEqualTo("RUNNING");
        assertThat(as("alice").get("/api/v1/sagas/" + saga + "/events").then().extract().jsonPath().getList("kind"))
                .doesNotContain("ABORT_REQUESTED");
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM sagas WHERE type = 'CrossSite'")).isEqualTo(1);
    }

    /** A POST as a browser would send it for a form or a plain-text fetch: this Content-Type, or none when empty. */
    private HttpResponse<String> rawPost(String path, String contentType, String body, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + path))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body));
        if (!contentType.isEmpty()) {
            request.header("Content-Type", contentType);
        }
        try {
            return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String held(String type) {
        return aSaga().type(type).step("hold", participant.url("/hold")).withActionTimeout("PT60S").json();
    }

    private static List<String> listed(String who, String type) {
        return as(who).queryParam("type", type).get("/api/v1/sagas").then().statusCode(200).extract().jsonPath()
                .getList("items.id");
    }

    /** The token's header and claims with {@code "alg":"none"} and no signature. */
    private static String unsigned(String token) {
        String[] parts = token.split("\\.");
        String header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + parts[1] + ".";
    }

    /** The token with a claim rewritten and the original signature kept. */
    private static String withClaims(String token, String from, String to) {
        String[] parts = token.split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        assertThat(claims).contains(from);
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(claims.replace(from, to)
                .getBytes(StandardCharsets.UTF_8));
        return parts[0] + "." + forged + "." + parts[2];
    }
}
