package io.sagawarden.testing;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.Set;

/** Submitting a saga to the application under a {@code @QuarkusTest} and waiting for its end. */
public final class Sagas {

    private static final Set<String> ENDED = Set.of("COMPLETED", "COMPENSATED", "FAILED");

    private Sagas() {
    }

    /** Submits the saga (security off) and answers its id. */
    public static String submit(SagaBuilder saga) {
        return submit(saga, null);
    }

    /** Submits the saga (security off) with a {@code traceparent} header unless it is null; answers its id. */
    public static String submit(SagaBuilder saga, String traceparent) {
        var request = given().contentType(ContentType.JSON).body(saga.json());
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return request.post("/api/v1/sagas").then().statusCode(201).extract().path("id");
    }

    /** The saga's view now (security off). */
    public static JsonPath view(String id) {
        return given().get("/api/v1/sagas/" + id).then().statusCode(200).extract().jsonPath();
    }

    /** The saga's view once it has ended, within 20 s. */
    public static JsonPath awaitEnd(String id) {
        return Eventually.await("saga " + id + " to end", Duration.ofSeconds(20),
                () -> view(id), v -> ENDED.contains(v.getString("status")));
    }
}
