package io.sagawarden.saga;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a submission can be wrong is answered with a problem naming the field, and nothing is stored. */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadSubmissionTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;
    @ConfigProperty(name = "quarkus.datasource.username", defaultValue = "sagawarden")
    String dbUser;
    @ConfigProperty(name = "quarkus.datasource.password", defaultValue = "sagawarden")
    String dbPassword;

    /** One bad submission: how it is sent, and the answer it must get. */
    record Bad(String name, String contentType, Map<String, String> headers, byte[] body, int status, String field) {
        Bad withHeader(String header, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(header, value);
            return new Bad(name, contentType, more, body, status, field);
        }

        Bad as(String type) {
            return new Bad(name, type, headers, body, status, field);
        }

        @Override
        public String toString() {
            return name + " -> " + status + (field == null ? "" : " " + field);
        }
    }

    /** A request the service accepts (see {@link #the_unmodified_base_request_is_accepted}); each case breaks one thing. */
    static ObjectNode base() {
        return (ObjectNode) tree("""
                {"type": "BadSubmissionSaga", "priority": 5, "timeout": "PT5M", "labels": {"tenant": "acme"},
                 "payload": {"orderId": "o-1", "sku": "sku-42", "qty": 2}, "onDeadlock": "COMPENSATE",
                 "steps": [
                   {"name": "reserve-stock",
                    "locks": [{"resource": "sku:sku-42", "mode": "EXCLUSIVE"}],
                    "action": {"method": "POST", "url": "http://127.0.0.1:9/inventory/reserve",
                               "headers": {"X-Tenant": "acme"},
                               "body": {"sku": "{{payload.sku}}", "qty": "{{payload.qty}}"}, "timeout": "PT10S"},
                    "compensation": {"method": "POST", "url": "http://127.0.0.1:9/inventory/release",
                                     "body": {"reservationId": "{{steps.reserve-stock.response.reservationId}}"}},
                    "retry": {"maxAttempts": 3, "initialBackoff": "PT0.5S", "multiplier": 2.0, "maxBackoff": "PT30S"}},
                   {"name": "charge",
                    "locks": [{"resource": "account:7", "mode": "SHARED"}],
                    "action": {"method": "POST", "url": "http://localhost:9/pay",
                               "body": {"reservation": "{{steps.reserve-stock.response.reservationId}}"}}}]}""");
    }

    private static com.fasterxml.jackson.databind.JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ObjectNode step(ObjectNode saga, int i) {
        return (ObjectNode) saga.get("steps").get(i);
    }

    private static ObjectNode action(ObjectNode saga, int i) {
        return (ObjectNode) step(saga, i).get("action");
    }

    private static ObjectNode lock(ObjectNode saga, int i, int j) {
        return (ObjectNode) step(saga, i).get("locks").get(j);
    }

    private static ObjectNode aStep(String name) {
        return (ObjectNode) tree("{\"name\": \"" + name + "\", \"action\": {\"method\": \"GET\", \"url\": \"http://127.0.0.1:9/x\"}}");
    }

    static Bad json(String name, int status, String field, Consumer<ObjectNode> breakIt) {
        ObjectNode saga = base();
        breakIt.accept(saga);
        return new Bad(name, JSON, Map.of(), saga.toString().getBytes(StandardCharsets.UTF_8), status, field);
    }

    static Bad raw(String name, int status, String field, String body) {
        return new Bad(name, JSON, Map.of(), body.getBytes(StandardCharsets.UTF_8), status, field);
    }

    static Stream<Bad> badSubmissions() {
        String valid = base().toString();
        return Stream.of(
                // --- not a JSON saga object at all
                raw("malformed JSON (missing comma)", 400, "body", "{\"type\": \"T\" \"steps\": []}"),
                raw("malformed JSON (unclosed object)", 400, "body", "{\"type\": \"T\""),
                raw("empty body", 400, "body", ""),
                raw("JSON null", 400, "body", "null"),
                raw("JSON array instead of object", 400, "body", "[" + valid + "]"),
                raw("JSON string instead of object", 400, "body", "\"saga\""),
                raw("trailing garbage after the object", 400, "body", valid + " garbage"),
                raw("a second object after the object", 400, "body", valid + " {}"),
                raw("duplicate top-level keys", 400, "body", "{\"type\": \"A\", " + valid.substring(1)),
                raw("duplicate keys in a step", 400, "steps[1]",
                        valid.replace("{\"name\":\"charge\",", "{\"name\":\"charge\",\"name\":\"pay\",")),
                // --- unknown fields, anywhere
                json("unknown top-level field", 400, "color", s -> s.put("color", "red")),
                json("unknown field in a step", 400, "steps[0].colour", s -> step(s, 0).put("colour", "red")),
                json("unknown field in action", 400, "steps[1].action.verb", s -> action(s, 1).put("verb", "POST")),
                json("unknown field in compensation", 400, "steps[0].compensation.retry",
                        s -> ((ObjectNode) step(s, 0).get("compensation")).put("retry", 1)),
                json("unknown field in a lock", 400, "steps[0].locks[0].ttl", s -> lock(s, 0, 0).put("ttl", "PT1S")),
                json("unknown field in retry", 400, "steps[0].retry.jitter",
                        s -> ((ObjectNode) step(s, 0).get("retry")).put("jitter", true)),
                // --- type
                json("missing type", 400, "type", s -> s.remove("type")),
                json("type with illegal characters", 400, "type", s -> s.put("type", "Create Order Saga!")),
                json("type of 101 characters", 400, "type", s -> s.put("type", "T".repeat(101))),
                json("type as a number", 400, "type", s -> s.put("type", 42)),
                // --- steps
                json("missing steps", 400, "steps", s -> s.remove("steps")),
                json("empty steps", 400, "steps", s -> s.putArray("steps")),
                json("steps as an object", 400, "steps", s -> s.putObject("steps")),
                json("101 steps", 400, "steps", s -> {
                    ArrayNode steps = s.putArray("steps");
                    for (int i = 0; i < 101; i++) {
                        steps.add(aStep("s" + i));
                    }
                }),
                json("step missing name", 400, "steps[1].name", s -> step(s, 1).remove("name")),
                json("step name with a space", 400, "steps[1].name", s -> step(s, 1).put("name", "char ge")),
                json("step missing action", 400, "steps[1].action", s -> step(s, 1).remove("action")),
                json("duplicate step names", 422, "steps[1].name", s -> step(s, 1).put("name", "reserve-stock")),
                // --- action method and URL
                json("action missing method", 400, "steps[0].action.method", s -> action(s, 0).remove("method")),
                json("action missing url", 400, "steps[0].action.url", s -> action(s, 0).remove("url")),
                json("method FETCH", 400, "steps[0].action.method", s -> action(s, 0).put("method", "FETCH")),
                json("lowercase method", 400, "steps[0].action.method", s -> action(s, 0).put("method", "post")),
                json("relative URL", 400, "steps[0].action.url", s -> action(s, 0).put("url", "/inventory/reserve")),
                json("ftp URL", 400, "steps[0].action.url", s -> action(s, 0).put("url", "ftp://127.0.0.1:9/reserve")),
                json("URL with user info", 400, "steps[0].action.url",
                        s -> action(s, 0).put("url", "http://admin:secret@127.0.0.1:9/reserve")),
                json("URL that is not a URL", 400, "steps[0].action.url", s -> action(s, 0).put("url", "http://127.0.0.1:9/a b")),
                json("URL outside the allow-list", 422, "steps[0].action.url", s -> action(s, 0).put("url", "http://10.0.0.1/x")),
                json("URL host only starting with an allowed host", 422, "steps[0].action.url",
                        s -> action(s, 0).put("url", "http://127.0.0.1.evil.example/")),
                json("compensation URL outside the allow-list", 422, "steps[0].compensation.url",
                        s -> ((ObjectNode) step(s, 0).get("compensation")).put("url", "http://169.254.169.254/latest")),
                // --- priority, timeout, onDeadlock
                json("priority -1", 400, "priority", s -> s.put("priority", -1)),
                json("priority 1001", 400, "priority", s -> s.put("priority", 1001)),
                json("priority as a string", 400, "priority", s -> s.put("priority", "5")),
                json("priority 1.5", 400, "priority", s -> s.put("priority", 1.5)),
                json("priority true", 400, "priority", s -> s.put("priority", true)),
                json("timeout in words", 400, "timeout", s -> s.put("timeout", "10 seconds")),
                json("timeout as a number of seconds", 400, "timeout", s -> s.put("timeout", 10)),
                json("retry backoff as a number", 400, "steps[0].retry.initialBackoff",
                        s -> ((ObjectNode) step(s, 0).get("retry")).put("initialBackoff", 0.5)),
                json("timeout below PT0.1S", 400, "timeout", s -> s.put("timeout", "PT0.05S")),
                json("timeout above P30D", 400, "timeout", s -> s.put("timeout", "P30DT1S")),
                json("action timeout below PT0.1S", 400, "steps[0].action.timeout", s -> action(s, 0).put("timeout", "PT0S")),
                json("onDeadlock NEVER", 400, "onDeadlock", s -> s.put("onDeadlock", "NEVER")),
                // --- locks
                json("lock mode WRITE", 400, "steps[0].locks[0].mode", s -> lock(s, 0, 0).put("mode", "WRITE")),
                json("lock without mode", 400, "steps[1].locks[0].mode", s -> lock(s, 1, 0).remove("mode")),
                json("empty lock resource", 400, "steps[0].locks[0].resource", s -> lock(s, 0, 0).put("resource", "")),
                json("lock resource of 201 characters", 400, "steps[0].locks[0].resource",
                        s -> lock(s, 0, 0).put("resource", "r".repeat(201))),
                json("33 locks in one step", 400, "steps[1].locks", s -> {
                    ArrayNode locks = step(s, 1).putArray("locks");
                    for (int i = 0; i < 33; i++) {
                        locks.addObject().put("resource", "r:" + i).put("mode", "SHARED");
                    }
                }),
                json("same resource twice in one step", 422, "steps[1].locks[1].resource",
                        s -> ((ArrayNode) step(s, 1).get("locks")).addObject().put("resource", "account:7").put("mode", "EXCLUSIVE")),
                // --- templates
                json("template naming an unknown step", 422, "steps[1].action.body.reservation",
                        s -> ((ObjectNode) action(s, 1).get("body")).put("reservation", "{{steps.reserve.response.id}}")),
                json("template naming a later step in an action", 422, "steps[0].action.body.charge",
                        s -> ((ObjectNode) action(s, 0).get("body")).put("charge", "{{steps.charge.response.id}}")),
                json("template naming its own step in an action", 422, "steps[0].action.body.own",
                        s -> ((ObjectNode) action(s, 0).get("body")).put("own", "{{steps.reserve-stock.response.id}}")),
                json("template naming its own step in an action URL", 422, "steps[1].action.url",
                        s -> action(s, 1).put("url", "http://localhost:9/pay/{{steps.charge.response.id}}")),
                json("template naming a later step in a compensation", 422, "steps[0].compensation.body.reservationId",
                        s -> ((ObjectNode) step(s, 0).get("compensation").get("body"))
                                .put("reservationId", "{{steps.charge.response.id}}")),
                json("template naming a missing payload path", 422, "steps[0].action.body.sku",
                        s -> ((ObjectNode) action(s, 0).get("body")).put("sku", "{{payload.item.sku}}")),
                json("template with an unknown root", 400, "steps[0].action.body.home",
                        s -> ((ObjectNode) action(s, 0).get("body")).put("home", "{{env.HOME}}")),
                json("template with an invalid payload path", 400, "steps[0].action.headers.X-Tenant",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("X-Tenant", "{{payload.a..b}}")),
                // --- headers
                json("reserved header Saga-Id", 422, "steps[0].action.headers.Saga-Id",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("Saga-Id", "forged")),
                json("reserved header Idempotency-Key", 422, "steps[0].action.headers.Idempotency-Key",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("Idempotency-Key", "forged")),
                json("reserved header in lower case", 422, "steps[0].action.headers.saga-fencing-tokens",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("saga-fencing-tokens", "r=1")),
                json("header value with a newline", 400, "steps[0].action.headers.X-Tenant",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("X-Tenant", "acme\r\nX-Evil: 1")),
                json("header name with a space", 400, "steps[0].action.headers.X Tenant",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("X Tenant", "acme")),
                json("header value as a number", 400, "steps[0].action.headers.X-Tenant",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("X-Tenant", 7)),
                // --- retry
                json("retry.maxAttempts 0", 400, "steps[0].retry.maxAttempts",
                        s -> ((ObjectNode) step(s, 0).get("retry")).put("maxAttempts", 0)),
                json("retry.multiplier 0.5", 400, "steps[0].retry.multiplier",
                        s -> ((ObjectNode) step(s, 0).get("retry")).put("multiplier", 0.5)),
                json("retry.maxBackoff shorter than initialBackoff", 400, "steps[0].retry.maxBackoff",
                        s -> ((ObjectNode) step(s, 0).get("retry")).put("maxBackoff", "PT0.2S")),
                // --- labels
                json("label with a bad key", 400, "labels.bad key!", s -> ((ObjectNode) s.get("labels")).put("bad key!", "x")),
                json("label value that is a number", 400, "labels.tenant", s -> ((ObjectNode) s.get("labels")).put("tenant", 5)),
                json("label value of 201 characters", 400, "labels.tenant",
                        s -> ((ObjectNode) s.get("labels")).put("tenant", "v".repeat(201))),
                // --- payload
                raw("duplicate keys in the payload", 400, "payload",
                        valid.replace("\"payload\":{", "\"payload\":{\"qty\":1,")),
                // --- U+0000 is valid JSON but cannot be stored in PostgreSQL text or jsonb
                json("NUL character in a payload string", 400, "payload.note",
                        s -> ((ObjectNode) s.get("payload")).put("note", "a\u0000b")),
                json("NUL character in a label value", 400, "labels.tenant",
                        s -> ((ObjectNode) s.get("labels")).put("tenant", "ac\u0000me")),
                json("NUL character in a header value", 400, "steps[0].action.headers.X-Tenant",
                        s -> ((ObjectNode) action(s, 0).get("headers")).put("X-Tenant", "ac\u0000me")),
                json("NUL character in an action body string", 400, "steps[0].action.body.note",
                        s -> ((ObjectNode) action(s, 0).get("body")).put("note", "\u0000")),
                // --- headers of the request itself, size and media type
                json("Idempotency-Key of 201 characters", 400, "Idempotency-Key", s -> { })
                        .withHeader("Idempotency-Key", "k".repeat(201)),
                json("Saga-Submitter of 201 characters", 400, "Saga-Submitter", s -> { })
                        .withHeader("Saga-Submitter", "s".repeat(201)),
                json("body larger than 1 MiB", 413, null, s -> ((ObjectNode) s.get("payload")).put("pad", "x".repeat(1024 * 1024))),
                json("Content-Type text/plain", 415, null, s -> { }).as("text/plain"),
                json("Content-Type application/xml", 415, null, s -> { }).as("application/xml"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSubmissions")
    @Order(1)
    void a_bad_submission_is_answered_with_a_problem_and_stores_nothing(Bad bad) throws SQLException {
        Timestamp since = databaseNow();
        Stored before = stored(since);

        RequestSpecification request = given().contentType(bad.contentType()).headers(bad.headers()).body(bad.body());
        Response response = request.post("/api/v1/sagas");

        assertThat(response.statusCode()).as("status of %s; body %s", bad.name(), response.asString())
                .isEqualTo(bad.status());
        assertProblem(response, bad.status());
        if (bad.field() != null) {
            List<String> fields = response.path("errors.field");
            assertThat(fields).as("errors[].field of %s", response.asString()).contains(bad.field());
            List<String> messages = response.path("errors.message");
            assertThat(messages).allSatisfy(m -> assertThat(m).isNotBlank());
        }
        assertThat(stored(since)).as("rows stored by a rejected submission").isEqualTo(before);
    }

    static Stream<Arguments> badQueries() {
        return Stream.of(
                Arguments.of("limit", "0"),
                Arguments.of("limit", "501"),
                Arguments.of("limit", "-5"),
                Arguments.of("limit", "abc"),
                Arguments.of("limit", "1.5"),
                Arguments.of("status", "DONE"),
                Arguments.of("cursor", "garbage"),
                Arguments.of("cursor", "not base64 !"),
                Arguments.of("label", "nocolon"),
                Arguments.of("label", ":value"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badQueries")
    @Order(2)
    void a_bad_listing_parameter_is_a_400_problem_naming_it(String parameter, String value) {
        Response response = given().queryParam(parameter, value).get("/api/v1/sagas");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(400);
        assertProblem(response, 400);
        List<String> fields = response.path("errors.field");
        assertThat(fields).containsExactly(parameter);
    }

    @Test
    @Order(3)
    void a_saga_id_that_is_not_a_uuid_is_a_404_problem() {
        for (String path : List.of("/api/v1/sagas/not-a-uuid", "/api/v1/sagas/not-a-uuid/events")) {
            Response response = given().get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertProblem(response, 404);
        }
    }

    /** Proves that the cases above fail for what they break, not for something wrong in the base request. */
    @Test
    @Order(4)
    void the_unmodified_base_request_is_accepted() throws SQLException {
        Timestamp since = databaseNow();
        Stored before = stored(since);
        given().contentType(JSON).body(base().toString()).post("/api/v1/sagas").then().statusCode(201);
        Stored after = stored(since);
        assertThat(after.sagas()).isEqualTo(before.sagas() + 1);
        assertThat(after.steps()).isEqualTo(before.steps() + 2);
        assertThat(after.newEvents()).as("the SUBMITTED event at least").isGreaterThan(before.newEvents());
    }

    private static void assertProblem(Response response, int status) {
        assertThat(response.contentType()).as("Content-Type of %s", response.asString()).startsWith(PROBLEM_JSON);
        for (String member : List.of("type", "title", "detail")) {
            Object value = response.path(member);
            assertThat(value).as("%s of %s", member, response.asString()).isInstanceOf(String.class);
            assertThat((String) value).as("%s of %s", member, response.asString()).isNotBlank();
        }
        assertThat((Integer) response.path("status")).isEqualTo(status);
    }

    /**
     * The rows a submission writes: all sagas, all steps, and the events of sagas created since {@code since}.
     * Events of older sagas are left out because the engine may append to them meanwhile (sagas of other tests,
     * or the base request); a stored saga, step or event of the request under test shows in one of the three.
     */
    record Stored(long sagas, long steps, long newEvents) {
    }

    private Timestamp databaseNow() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, dbUser, dbPassword);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getTimestamp(1);
        }
    }

    private Stored stored(Timestamp since) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, dbUser, dbPassword);
             PreparedStatement s = c.prepareStatement("""
                     SELECT (SELECT count(*) FROM sagas),
                            (SELECT count(*) FROM saga_steps),
                            (SELECT count(*) FROM saga_events e JOIN sagas a ON a.id = e.saga_id
                             WHERE a.created_at >= ?)""")) {
            s.setTimestamp(1, since);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new Stored(rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }
    }
}
