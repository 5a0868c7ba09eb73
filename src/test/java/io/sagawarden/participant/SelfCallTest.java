package io.sagawarden.participant;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Management;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator never calls itself, although the test allow-list admits every loopback port: a step naming its
 * API or management port is refused at submission, such a URL is refused again before any call, and a request that
 * carries a participant call's headers is refused on arrival, by whatever name it came.
 */
@QuarkusTest
class SelfCallTest {

    @TestHTTPResource("/")
    URL api;

    @Inject
    ThisService thisService;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    @Test
    void a_step_naming_the_api_or_the_management_port_is_refused_at_submission() {
        int apiPort = api.getPort();
        List<String> own = List.of("http://127.0.0.1:" + apiPort + "/api/v1/sagas",
                "http://localhost:" + apiPort + "/api/v1/sagas/00000000-0000-0000-0000-000000000000/abort",
                "http://[::1]:" + apiPort + "/api/v1/sagas",
                "http://127.0.0.1:" + Management.port() + "/q/metrics");
        for (String url : own) {
            given().contentType(ContentType.JSON).body(aSaga().type("SelfCallingSaga").step("self", url).json())
                    .post("/api/v1/sagas").then().statusCode(422).contentType("application/problem+json")
                    .body("errors.field", hasItem("steps[0].action.url"))
                    .body("errors.message", hasItem(containsString("this service's own API or management port")));
        }
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM sagas WHERE type = 'SelfCallingSaga'")).isZero();
    }

    @Test
    void the_client_refuses_the_own_ports_of_this_machine_and_nothing_else() {
        assertThat(thisService.isReachedBy(URI.create("http://127.0.0.1:" + api.getPort() + "/x"))).isTrue();
        assertThat(thisService.isReachedBy(URI.create("http://localhost:" + Management.port() + "/q/health"))).isTrue();
        assertThat(thisService.isReachedBy(URI.create("http://127.0.0.1:" + (api.getPort() + 17) + "/x"))).isFalse();
        assertThat(thisService.isReachedBy(URI.create("http://saga-warden.invalid:" + api.getPort() + "/x"))).isFalse();
    }

    @Test
    void a_request_with_a_participant_calls_headers_is_refused_on_arrival() {
        given().header("Saga-Step", "spawn").header("Saga-Attempt", "1").contentType(ContentType.JSON)
                .body(aSaga().type("SpawnedBySaga").step("x", "http://127.0.0.1:9/x").json())
                .post("/api/v1/sagas").then().statusCode(403).contentType("application/problem+json");
        given().header("Saga-Step", "read").header("Saga-Attempt", "1").get("/api/v1/sagas").then().statusCode(403);
        given().port(Management.port()).header("Saga-Step", "read").header("Saga-Attempt", "1").get("/q/metrics")
                .then().statusCode(403);
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM sagas WHERE type = 'SpawnedBySaga'")).isZero();
        given().get("/api/v1/sagas").then().statusCode(200);
    }
}
