package io.sagawarden.saga;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SagaSubmissionTest {

    static {
        io.restassured.RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    static String saga(String type, String tenant) {
        return """
                {"type": "%s", "priority": 5, "timeout": "PT5M", "labels": {"tenant": "%s"},
                 "payload": {"orderId": "o-1", "sku": "sku-42", "qty": 2},
                 "steps": [{"name": "reserve-stock",
                            "locks": [{"resource": "sku:sku-42", "mode": "EXCLUSIVE"}],
                            "action": {"method": "POST", "url": "http://127.0.0.1:9/inventory/reserve",
                                       "headers": {"X-Tenant": "acme"},
                                       "body": {"sku": "{{payload.sku}}", "qty": "{{payload.qty}}"},
                                       "timeout": "PT10S"},
                            "compensation": {"method": "POST", "url": "http://127.0.0.1:9/inventory/release",
                                             "body": {"reservationId": "{{steps.reserve-stock.response.reservationId}}"}},
                            "retry": {"maxAttempts": 3, "initialBackoff": "PT0.5S", "multiplier": 2.0, "maxBackoff": "PT30S"}},
                           {"name": "charge", "action": {"method": "POST", "url": "http://localhost:9/pay"}}]}
                """.formatted(type, tenant);
    }

    static Response submit(String body) {
        return given().contentType(ContentType.JSON).body(body).post("/api/v1/sagas");
    }

    @Test
    void a_submitted_saga_is_stored_pending_and_read_back_as_the_contract_says() {
        Response created = submit(saga("CreateOrderSaga", "acme"));
        created.then().statusCode(201)
                .header("Location", org.hamcrest.Matchers.endsWith("/api/v1/sagas/" + created.path("id")))
                .body("type", equalTo("CreateOrderSaga"))
                .body("status", equalTo("PENDING"))
                .body("reason", nullValue())
                .body("priority", equalTo(5))
                .body("labels.tenant", equalTo("acme"))
                .body("createdAt", notNullValue())
                .body("endedAt", nullValue())
                .body("currentStep", equalTo("reserve-stock"))
                .body("steps", hasSize(2))
                .body("steps[0].name", equalTo("reserve-stock"))
                .body("steps[0].status", equalTo("PENDING"))
                .body("steps[0].attempts", equalTo(0))
                .body("steps[0].compensation.status", equalTo("NOT_STARTED"))
                .body("steps[1].compensation.status", equalTo("NOT_NEEDED"))
                .body("locks", hasSize(0))
                .body("waitingFor", nullValue());

        String id = created.path("id");
        // The engine takes it up at once; its participants do not exist, so it ends compensated.
        given().get("/api/v1/sagas/" + id).then().statusCode(200)
                .body("id", equalTo(id)).body("type", equalTo("CreateOrderSaga")).body("steps", hasSize(2));
        given().get("/api/v1/sagas/" + id + "/events").then().statusCode(200)
                .body("[0].kind", equalTo("SUBMITTED")).body("[0].at", notNullValue());
    }

    @Test
    void an_unknown_saga_is_404_problem_json() {
        given().get("/api/v1/sagas/" + UUID.randomUUID()).then().statusCode(404)
                .contentType("application/problem+json").body("status", equalTo(404));
        given().get("/api/v1/sagas/" + UUID.randomUUID() + "/events").then().statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void the_same_idempotency_key_and_body_returns_the_existing_saga_and_another_body_conflicts() {
        String key = "key-" + UUID.randomUUID();
        Response first = given().contentType(ContentType.JSON).header("Idempotency-Key", key)
                .body(saga("IdemSaga", "a")).post("/api/v1/sagas");
        first.then().statusCode(201);
        // Same request with keys in another order and extra whitespace is the same body.
        given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(saga("IdemSaga", "a").replace(": ", ":"))
                .post("/api/v1/sagas").then().statusCode(200).body("id", equalTo(first.path("id")));
        given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(saga("IdemSaga", "b"))
                .post("/api/v1/sagas").then().statusCode(409).contentType("application/problem+json")
                .body("status", equalTo(409));
        // Another submitter may use the same key for its own saga.
        given().contentType(ContentType.JSON).header("Idempotency-Key", key).header("Saga-Submitter", "billing")
                .body(saga("IdemSaga", "b")).post("/api/v1/sagas").then().statusCode(201);
    }

    @Test
    void eight_concurrent_identical_submissions_create_exactly_one_saga() throws Exception {
        String key = "race-" + UUID.randomUUID();
        String body = saga("RaceSaga", "race");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Response>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(() -> given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(body)
                        .post("/api/v1/sagas"));
            }
            List<Integer> statuses = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (Future<Response> f : pool.invokeAll(calls)) {
                statuses.add(f.get().statusCode());
                ids.add(f.get().path("id"));
            }
            assertThat(statuses).containsOnly(200, 201).filteredOn(s -> s == 201).hasSize(1);
            assertThat(ids).containsOnly(ids.getFirst());
        } finally {
            pool.shutdownNow();
        }
        given().queryParam("type", "RaceSaga").get("/api/v1/sagas").then().statusCode(200).body("items", hasSize(1));
    }

    @Test
    void listing_filters_by_status_type_and_label_and_pages_with_a_cursor() {
        String type = "ListSaga" + UUID.randomUUID().toString().substring(0, 8);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(0, submit(saga(type, i % 2 == 0 ? "even" : "odd")).then().statusCode(201).extract().path("id"));
        }
        Response page1 = given().queryParam("type", type).queryParam("limit", 2).get("/api/v1/sagas");
        page1.then().statusCode(200).body("items", hasSize(2)).body("nextCursor", notNullValue());
        Response page2 = given().queryParam("type", type).queryParam("limit", 2)
                .queryParam("cursor", page1.path("nextCursor").toString()).get("/api/v1/sagas");
        Response page3 = given().queryParam("type", type).queryParam("limit", 2)
                .queryParam("cursor", page2.path("nextCursor").toString()).get("/api/v1/sagas");
        page3.then().body("items", hasSize(1)).body("nextCursor", nullValue());
        List<String> seen = new ArrayList<>();
        seen.addAll(page1.path("items.id"));
        seen.addAll(page2.path("items.id"));
        seen.addAll(page3.path("items.id"));
        assertThat(seen).containsExactlyElementsOf(ids);

        given().queryParam("type", type).queryParam("label", "tenant:even").get("/api/v1/sagas")
                .then().statusCode(200).body("items", hasSize(3)).body("items[0].labels.tenant", equalTo("even"));
        // Their participant (port 9) refuses connections, so every one of them ends compensated.
        io.sagawarden.testing.Eventually.await("the sagas to end", java.time.Duration.ofSeconds(20),
                () -> given().queryParam("type", type).queryParam("status", "COMPENSATED").get("/api/v1/sagas")
                        .then().extract().jsonPath().getList("items").size(), n -> n == 5);
        given().queryParam("type", type).queryParam("status", "PENDING").get("/api/v1/sagas")
                .then().body("items", hasSize(0));
        given().queryParam("type", type).queryParam("status", "compensated").queryParam("label", "tenant:odd")
                .get("/api/v1/sagas").then().body("items", hasSize(2)).body("items[0].reason", equalTo("STEP_FAILED"))
                .body("items[0].currentStep", nullValue());
    }
}
