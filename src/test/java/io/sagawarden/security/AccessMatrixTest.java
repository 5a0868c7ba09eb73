package io.sagawarden.security;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.KeycloakServer;
import io.sagawarden.testing.Management;
import io.sagawarden.testing.SecuredProfile;
import io.sagawarden.testing.TestParticipant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every role at every endpoint, against the real Keycloak: what API.md, "Who may do what", allows answers as the
 * endpoint does, what a role may not do answers 403, another submitter's saga answers 404, and no token answers 401.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class AccessMatrixTest {

    private static final List<String> WHO = List.of("alice", "bob", "vera", "otto", "nobody");
    private static final String NOBODY = "nobody";

    private static KeycloakServer keycloak;
    private static final Map<String, String> TOKENS = new LinkedHashMap<>();
    private static TestParticipant participant;

    /** One endpoint: how to call it as someone, and what each of {@link #WHO} gets. */
    private record Endpoint(String name, BiFunction<RequestSpecification, Fixture, Integer> call, int... expected) {
    }

    /** Sagas the calls read and act on: alice's, held still by a participant that does not answer, and one that ended. */
    private record Fixture(String aliceSaga, String aliceEnded) {
    }

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeAll
    static void tokens() {
        keycloak = KeycloakServer.require();
        for (String user : List.of("alice", "bob", "vera", "otto")) {
            TOKENS.put(user, keycloak.token(user));
        }
        participant = TestParticipant.start();
        participant.on("/hold", participant.hang());
    }

    @AfterAll
    static void stopParticipant() {
        if (participant != null) {
            participant.close();
        }
    }

    static RequestSpecification as(String who) {
        RequestSpecification request = given();
        return NOBODY.equals(who) ? request : request.auth().oauth2(TOKENS.get(who));
    }

    /** A saga of alice's that stays RUNNING: its only step's call is held for a minute. */
    static String aliceHoldsASaga() {
        return as("alice").contentType(ContentType.JSON).body(aSaga().type("HeldSaga")
                        .step("hold", participant.url("/hold")).withActionTimeout("PT60S").json())
                .post("/api/v1/sagas").then().statusCode(201).extract().path("id");
    }

    /** A saga of alice's that has ended COMPLETED. */
    static String aliceEndsASaga() {
        String id = as("alice").contentType(ContentType.JSON).body(aSaga().type("EndedSaga")
                        .step("done", participant.url("/done")).json())
                .post("/api/v1/sagas").then().statusCode(201).extract().path("id");
        Eventually.await("alice's saga to end", Duration.ofSeconds(20),
                () -> as("alice").get("/api/v1/sagas/" + id).then().extract().<String>path("status"), "COMPLETED"::equals);
        return id;
    }

    @TestFactory
    Stream<DynamicTest> every_role_at_every_endpoint() {
        Fixture fixture = new Fixture(aliceHoldsASaga(), aliceEndsASaga());
        String body = aSaga().type("MatrixSaga").step("one", participant.url("/one")).json();
        //                                                      alice bob vera otto nobody
        List<Endpoint> endpoints = List.of(
                new Endpoint("POST /api/v1/sagas", (r, f) -> r.contentType(ContentType.JSON).body(body)
                        .post("/api/v1/sagas").statusCode(), 201, 201, 403, 403, 401),
                new Endpoint("GET /api/v1/sagas/{alice's}", (r, f) -> r.get("/api/v1/sagas/" + f.aliceSaga()).statusCode(),
                        200, 404, 200, 200, 401),
                new Endpoint("GET /api/v1/sagas", (r, f) -> r.get("/api/v1/sagas").statusCode(), 200, 200, 200, 200, 401),
                new Endpoint("GET /api/v1/sagas/{alice's}/events", (r, f) -> r.get("/api/v1/sagas/" + f.aliceSaga()
                        + "/events").statusCode(), 200, 404, 200, 200, 401),
                // Each abort gets a saga of alice's of its own, still running, so every answer is about the role.
                new Endpoint("POST /api/v1/sagas/{alice's}/abort", (r, f) -> r.contentType(ContentType.JSON)
                        .post("/api/v1/sagas/" + aliceHoldsASaga() + "/abort").statusCode(), 202, 404, 403, 202, 401),
                // Allowed for an operator, and refused by the saga's state: its node is running it right now.
                new Endpoint("POST /api/v1/sagas/{alice's}/retry", (r, f) -> r.contentType(ContentType.JSON)
                        .post("/api/v1/sagas/" + f.aliceSaga() + "/retry").statusCode(), 403, 403, 403, 409, 401),
                // A submitter runs its own ended sagas again (each time a new saga), as it aborts them.
                new Endpoint("POST /api/v1/sagas/{alice's ended}/rerun", (r, f) -> r.contentType(ContentType.JSON)
                        .post("/api/v1/sagas/" + f.aliceEnded() + "/rerun").statusCode(), 201, 404, 403, 201, 401),
                new Endpoint("GET /api/v1/overview", (r, f) -> r.get("/api/v1/overview").statusCode(), 403, 403, 200, 200, 401),
                new Endpoint("GET /api/v1/locks", (r, f) -> r.get("/api/v1/locks").statusCode(), 403, 403, 200, 200, 401),
                new Endpoint("GET /api/v1/deadlocks", (r, f) -> r.get("/api/v1/deadlocks").statusCode(), 403, 403, 200, 200, 401),
                new Endpoint("GET /api/v1/deadlocks/{unknown}", (r, f) -> r.get("/api/v1/deadlocks/" + UUID.randomUUID())
                        .statusCode(), 403, 403, 404, 404, 401),
                new Endpoint("GET /api/v1/wait-for-graph", (r, f) -> r.get("/api/v1/wait-for-graph").statusCode(),
                        403, 403, 200, 200, 401),
                new Endpoint("GET /api/v1/alerts", (r, f) -> r.get("/api/v1/alerts").statusCode(), 403, 403, 200, 200, 401),
                new Endpoint("POST /api/v1/alerts/{unknown}/ack", (r, f) -> r.contentType(ContentType.JSON)
                        .post("/api/v1/alerts/" + UUID.randomUUID() + "/ack").statusCode(), 403, 403, 403, 404, 401),
                new Endpoint("GET /console/settings", (r, f) -> r.get("/console/settings").statusCode(), 200, 200, 200, 200, 200));
        List<DynamicTest> tests = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            for (int i = 0; i < WHO.size(); i++) {
                String who = WHO.get(i);
                int expected = endpoint.expected()[i];
                tests.add(DynamicTest.dynamicTest(who + " " + endpoint.name() + " -> " + expected,
                        () -> assertThat(endpoint.call().apply(as(who), fixture)).as(who + " " + endpoint.name())
                                .isEqualTo(expected)));
            }
        }
        System.out.printf("AccessMatrixTest: %d endpoints x %d callers = %d cases%n", endpoints.size(), WHO.size(), tests.size());
        return tests.stream();
    }

    @Test
    void refusals_are_problem_json_with_a_bearer_challenge() {
        given().get("/api/v1/sagas").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer").body("status", org.hamcrest.Matchers.is(401));
        as("vera").contentType(ContentType.JSON).body("{}").post("/api/v1/sagas").then().statusCode(403)
                .contentType("application/problem+json").body("type", org.hamcrest.Matchers.endsWith(":forbidden"));
    }

    @Test
    void the_console_may_talk_to_the_provider_and_knows_where_to_log_in() {
        String provider = keycloak.issuer();
        given().get("/console/settings").then().statusCode(200).body("security", org.hamcrest.Matchers.is(true))
                .body("provider", org.hamcrest.Matchers.is(provider)).body("clientId", org.hamcrest.Matchers.is("saga-console"));
        assertThat(given().get("/").header("Content-Security-Policy"))
                .contains("connect-src 'self' " + keycloak.base() + ";").contains("frame-ancestors 'none'");
    }

    @Test
    void health_and_metrics_answer_scrapers_and_probes_on_the_management_port_without_a_token() {
        given().port(Management.port()).get("/q/health/ready").then().statusCode(200);
        given().port(Management.port()).get("/q/health/live").then().statusCode(200);
        assertThat(Management.metrics()).contains("sagas_active");
        given().get("/q/metrics").then().statusCode(404);
    }
}
