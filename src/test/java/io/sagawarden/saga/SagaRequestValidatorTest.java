package io.sagawarden.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.sagawarden.participant.ParticipantAllowList;
import io.sagawarden.problem.FieldError;
import io.sagawarden.problem.ProblemException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SagaRequestValidatorTest {

    /** The defaults of {@link SagaLimits}, as a plain object. */
    static final class DefaultLimits implements SagaLimits {
        @Override public int maxSteps() { return 100; }
        @Override public int maxLocksPerStep() { return 32; }
        @Override public int maxBodyBytes() { return 1_048_576; }
        @Override public int maxUriLength() { return 4096; }
        @Override public int maxHeaderBytes() { return 16384; }
        @Override public int minPriority() { return 0; }
        @Override public int maxPriority() { return 1000; }
        @Override public int maxResourceKeyLength() { return 200; }
        @Override public Duration minDuration() { return Duration.ofMillis(100); }
        @Override public Duration maxDuration() { return Duration.ofDays(30); }
        @Override public int maxLabels() { return 32; }
        @Override public int maxLabelValueLength() { return 200; }
        @Override public int maxHeaders() { return 32; }
        @Override public int maxAttempts() { return 100; }
        @Override public double maxMultiplier() { return 100.0; }
    }

    private static final ParticipantAllowList ALLOW_LIST = new ParticipantAllowList(
            Optional.of(List.of("http://127.0.0.1:*", "http://localhost:*", "https://*.payments.internal")));
    private static final SagaRequestValidator VALIDATOR = new SagaRequestValidator(new DefaultLimits(), ALLOW_LIST::allows);
    private static final SagaRequestReader READER = new SagaRequestReader(
            JsonMapper.builder().addModule(new JavaTimeModule()).build());

    private static final String PAYLOAD = """
            {"orderId": "o-1", "sku": "sku-42", "qty": 2, "host": "127.0.0.1:9000", "far": "10.0.0.1"}""";

    /** A saga with the given steps (a JSON array's inner text) and the payload above. */
    private static String saga(String steps) {
        return "{\"type\": \"T\", \"payload\": " + PAYLOAD + ", \"steps\": [" + steps + "]}";
    }

    private static String step(String name, String action) {
        return "{\"name\": \"" + name + "\", \"action\": " + action + "}";
    }

    private static String step(String name, String action, String compensation) {
        return "{\"name\": \"" + name + "\", \"action\": " + action + ", \"compensation\": " + compensation + "}";
    }

    private static String post(String url) {
        return "{\"method\": \"POST\", \"url\": \"" + url + "\"}";
    }

    private static String postWithBody(String url, String body) {
        return "{\"method\": \"POST\", \"url\": \"" + url + "\", \"body\": " + body + "}";
    }

    private static String postWithHeaders(String headers) {
        return "{\"method\": \"POST\", \"url\": \"http://127.0.0.1:9/x\", \"headers\": " + headers + "}";
    }

    private static void valid(String json) {
        assertThatCode(() -> VALIDATOR.validate(READER.read(json.getBytes()))).doesNotThrowAnyException();
    }

    private static ProblemException rejected(String json) {
        SagaRequest request = READER.read(json.getBytes());
        ProblemException e = catchThrowableOfType(ProblemException.class, () -> VALIDATOR.validate(request));
        assertThat(e).as("validation of %s", json).isNotNull();
        assertThat(e.getMessage()).isNotBlank();
        assertThat(e.errors()).isNotEmpty().allSatisfy(err -> assertThat(err.message()).isNotBlank());
        return e;
    }

    private static void bad(String json, String field) {
        ProblemException e = rejected(json);
        assertThat(e).isInstanceOf(ProblemException.BadRequest.class);
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).extracting(FieldError::field).contains(field);
    }

    private static void notAllowed(String json, String field) {
        ProblemException e = rejected(json);
        assertThat(e).isInstanceOf(ProblemException.Unprocessable.class);
        assertThat(e.status()).isEqualTo(422);
        assertThat(e.errors()).extracting(FieldError::field).contains(field);
    }

    // --- what passes

    @Test
    void the_example_of_the_contract_is_valid() {
        valid("""
                {"type": "CreateOrderSaga", "priority": 5, "timeout": "PT5M", "labels": {"tenant": "acme"},
                 "payload": {"orderId": "o-1", "sku": "sku-42", "qty": 2}, "onDeadlock": "COMPENSATE",
                 "steps": [{"name": "reserve-stock",
                   "locks": [{"resource": "sku:sku-42", "mode": "EXCLUSIVE"}],
                   "action": {"method": "POST", "url": "http://127.0.0.1:9000/inventory/reserve",
                              "headers": {"X-Tenant": "acme"},
                              "body": {"sku": "{{payload.sku}}", "qty": "{{payload.qty}}"}, "timeout": "PT10S"},
                   "compensation": {"method": "POST", "url": "http://127.0.0.1:9000/inventory/release",
                                    "body": {"reservationId": "{{steps.reserve-stock.response.reservationId}}"}},
                   "retry": {"maxAttempts": 3, "initialBackoff": "PT0.5S", "multiplier": 2.0, "maxBackoff": "PT30S"}}]}""");
    }

    @Test
    void the_bounds_themselves_are_valid() {
        String hundredSteps = IntStream.range(0, 100).mapToObj(i -> step("s" + i, post("http://127.0.0.1:9/x")))
                .collect(Collectors.joining(","));
        valid(saga(hundredSteps));
        String locks = IntStream.range(0, 32).mapToObj(i -> "{\"resource\": \"r" + i + "\", \"mode\": \"SHARED\"}")
                .collect(Collectors.joining(","));
        valid(saga("{\"name\": \"a\", \"locks\": [" + locks + "], \"action\": " + post("http://127.0.0.1:9/x") + "}"));
        valid("{\"type\": \"" + "t".repeat(100) + "\", \"priority\": 0, \"timeout\": \"PT0.1S\", \"steps\": ["
                + step("a", post("http://127.0.0.1:9/x")) + "]}");
        valid("{\"type\": \"T\", \"priority\": 1000, \"timeout\": \"P30D\", \"steps\": ["
                + step("a", post("http://127.0.0.1:9/x")) + "]}");
        valid(saga("{\"name\": \"a\", \"locks\": [{\"resource\": \"" + "r".repeat(200) + "\", \"mode\": \"UPDATE\"}],"
                + " \"action\": " + post("http://127.0.0.1:9/x") + "}"));
    }

    @Test
    void step_names_may_contain_dots_colons_and_dashes_and_be_named_by_templates() {
        valid(saga(step("inventory.v2:reserve-1", post("http://127.0.0.1:9/x")) + ","
                + step("charge", postWithBody("http://127.0.0.1:9/y",
                "{\"r\": \"{{steps.inventory.v2:reserve-1.response.id}}\"}"))));
    }

    // --- templates: which step may be named where

    @Test
    void a_compensation_may_name_its_own_step_and_earlier_ones() {
        valid(saga(step("a", post("http://127.0.0.1:9/a")) + ","
                + step("b", post("http://127.0.0.1:9/b"), postWithBody("http://127.0.0.1:9/undo-b",
                "{\"own\": \"{{steps.b.response.id}}\", \"earlier\": \"{{steps.a.response.id}}\"}"))));
    }

    @Test
    void an_action_may_name_earlier_steps_only() {
        valid(saga(step("a", post("http://127.0.0.1:9/a")) + ","
                + step("b", postWithBody("http://127.0.0.1:9/b", "{\"x\": \"{{steps.a.response}}\"}"))));
        notAllowed(saga(step("a", postWithBody("http://127.0.0.1:9/a", "{\"x\": \"{{steps.a.response.id}}\"}"))),
                "steps[0].action.body.x");
        notAllowed(saga(step("a", postWithBody("http://127.0.0.1:9/a", "{\"x\": \"{{steps.b.response.id}}\"}")) + ","
                + step("b", post("http://127.0.0.1:9/b"))), "steps[0].action.body.x");
    }

    @Test
    void a_compensation_may_not_name_a_later_step() {
        notAllowed(saga(step("a", post("http://127.0.0.1:9/a"), postWithBody("http://127.0.0.1:9/undo",
                "{\"x\": \"{{steps.b.response.id}}\"}")) + "," + step("b", post("http://127.0.0.1:9/b"))),
                "steps[0].compensation.body.x");
    }

    @Test
    void templates_are_checked_in_urls_headers_and_nested_bodies() {
        notAllowed(saga(step("a", post("http://127.0.0.1:9/{{steps.a.response.id}}"))), "steps[0].action.url");
        notAllowed(saga(step("a", postWithHeaders("{\"X-Id\": \"{{steps.a.response.id}}\"}"))),
                "steps[0].action.headers.X-Id");
        notAllowed(saga(step("a", postWithBody("http://127.0.0.1:9/a",
                "{\"o\": {\"list\": [1, \"{{steps.nope.response}}\"]}}"))), "steps[0].action.body.o.list[1]");
        notAllowed(saga(step("a", postWithBody("http://127.0.0.1:9/a", "\"{{payload.missing}}\""))),
                "steps[0].action.body");
    }

    @Test
    void a_template_naming_an_unknown_step_or_a_missing_payload_value_is_not_allowed() {
        notAllowed(saga(step("a", postWithBody("http://127.0.0.1:9/a", "{\"x\": \"{{steps.nope.response.id}}\"}"))),
                "steps[0].action.body.x");
        notAllowed(saga(step("a", postWithBody("http://127.0.0.1:9/a", "{\"x\": \"{{payload.missing.deep}}\"}"))),
                "steps[0].action.body.x");
        notAllowed("{\"type\": \"T\", \"steps\": [" + step("a", postWithBody("http://127.0.0.1:9/a",
                "{\"x\": \"{{payload.sku}}\"}")) + "]}", "steps[0].action.body.x");
    }

    @Test
    void a_malformed_template_is_a_bad_request() {
        bad(saga(step("a", postWithBody("http://127.0.0.1:9/a", "{\"x\": \"{{env.HOME}}\"}"))), "steps[0].action.body.x");
        bad(saga(step("a", postWithBody("http://127.0.0.1:9/a", "{\"x\": \"{{payload.a b}}\"}"))), "steps[0].action.body.x");
        bad(saga(step("a", postWithBody("http://127.0.0.1:9/a", "{\"x\": \"{{}}\"}"))), "steps[0].action.body.x");
    }

    @Test
    void a_step_template_with_a_malformed_path_is_a_bad_request_like_a_payload_one() {
        bad(saga(step("a", post("http://127.0.0.1:9/a")) + ","
                + step("b", postWithBody("http://127.0.0.1:9/b", "{\"x\": \"{{steps.a.response.a b}}\"}"))),
                "steps[1].action.body.x");
    }

    // --- the allow-list, URLs and headers

    @Test
    void a_url_is_checked_against_the_allow_list_after_payload_templates_are_filled_in() {
        valid(saga(step("a", post("http://{{payload.host}}/x"))));
        notAllowed(saga(step("a", post("http://{{payload.far}}/x"))), "steps[0].action.url");
        notAllowed(saga(step("a", post("http://10.0.0.1/x"))), "steps[0].action.url");
        notAllowed(saga(step("a", post("http://127.0.0.1.evil.example/x"))), "steps[0].action.url");
        notAllowed(saga(step("a", post("https://payments.internal/x"))), "steps[0].action.url");
        valid(saga(step("a", post("https://eu.payments.internal/x"))));
        notAllowed(saga(step("a", post("http://127.0.0.1:9/a"), post("http://10.0.0.1/undo"))),
                "steps[0].compensation.url");
    }

    @Test
    void a_step_response_cannot_choose_the_host() {
        notAllowed(saga(step("a", post("http://127.0.0.1:9/a")) + ","
                + step("b", post("http://{{steps.a.response.host}}/b"))), "steps[1].action.url");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/relative", "ftp://127.0.0.1/x", "http://user:pw@127.0.0.1:9/x", "http://127.0.0.1:9/x#frag",
            "http://127.0.0.1:9/a b", "127.0.0.1:9/x", "mailto:x@127.0.0.1", "http:///x", ""})
    void a_url_that_is_not_an_absolute_http_url_is_a_bad_request(String url) {
        bad(saga(step("a", post(url))), "steps[0].action.url");
    }

    @Test
    void a_very_long_url_is_a_bad_request() {
        bad(saga(step("a", post("http://127.0.0.1:9/" + "x".repeat(2100)))), "steps[0].action.url");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Idempotency-Key", "idempotency-key", "Saga-Id", "SAGA-STEP", "Saga-Attempt",
            "Saga-Fencing-Tokens", "Host", "Content-Length", "Transfer-Encoding", "Connection"})
    void a_header_the_orchestrator_sets_cannot_be_overridden(String header) {
        notAllowed(saga(step("a", postWithHeaders("{\"" + header + "\": \"v\"}"))), "steps[0].action.headers." + header);
    }

    @Test
    void a_bad_header_name_or_value_is_a_bad_request() {
        bad(saga(step("a", postWithHeaders("{\"Bad Header\": \"v\"}"))), "steps[0].action.headers.Bad Header");
        bad(saga(step("a", postWithHeaders("{\"X-A\": \"line\\nbreak\"}"))), "steps[0].action.headers.X-A");
        bad(saga(step("a", postWithHeaders("{\"X-A\": \"line\\rbreak\"}"))), "steps[0].action.headers.X-A");
        bad(saga(step("a", postWithHeaders("{\"X-A\": null}"))), "steps[0].action.headers.X-A");
        String tooMany = IntStream.range(0, 33).mapToObj(i -> "\"X-" + i + "\": \"v\"").collect(Collectors.joining(","));
        bad(saga(step("a", postWithHeaders("{" + tooMany + "}"))), "steps[0].action.headers");
    }

    // --- 400 and 422 kept apart

    @Test
    void a_request_with_both_bad_values_and_disallowed_parts_is_answered_400_with_the_bad_values_only() {
        ProblemException e = rejected("{\"type\": \"T\", \"priority\": 2000, \"steps\": ["
                + step("a", post("http://10.0.0.1/x")) + "," + step("a", post("http://127.0.0.1:9/x")) + "]}");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).extracting(FieldError::field).containsExactly("priority");
    }

    @Test
    void all_disallowed_parts_are_reported_together() {
        ProblemException e = rejected(saga(step("a", post("http://10.0.0.1/x")) + ","
                + step("a", postWithHeaders("{\"Saga-Id\": \"x\"}"))));
        assertThat(e.status()).isEqualTo(422);
        assertThat(e.errors()).extracting(FieldError::field)
                .containsExactlyInAnyOrder("steps[0].action.url", "steps[1].name", "steps[1].action.headers.Saga-Id");
        assertThat(e.getMessage()).contains("3 problems");
    }

    @Test
    void all_bad_values_are_reported_together() {
        ProblemException e = rejected("{\"type\": \"bad type\", \"priority\": -1, \"timeout\": \"PT0.01S\","
                + " \"steps\": [{\"name\": \"a\", \"action\": {\"url\": \"/rel\"}, \"retry\": {\"maxAttempts\": 0}}]}");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).extracting(FieldError::field).contains("type", "priority", "timeout",
                "steps[0].action.method", "steps[0].action.url", "steps[0].retry.maxAttempts");
    }

    @Test
    void duplicate_step_names_and_duplicate_lock_resources_are_not_allowed() {
        notAllowed(saga(step("a", post("http://127.0.0.1:9/x")) + "," + step("a", post("http://127.0.0.1:9/y"))),
                "steps[1].name");
        notAllowed(saga("{\"name\": \"a\", \"locks\": [{\"resource\": \"r\", \"mode\": \"SHARED\"},"
                + " {\"resource\": \"r\", \"mode\": \"EXCLUSIVE\"}], \"action\": " + post("http://127.0.0.1:9/x") + "}"),
                "steps[0].locks[1].resource");
    }

    // --- plain bad values

    @Test
    void missing_and_out_of_range_values_are_bad_requests() {
        bad("{\"steps\": [" + step("a", post("http://127.0.0.1:9/x")) + "]}", "type");
        bad("{\"type\": \"" + "t".repeat(101) + "\", \"steps\": [" + step("a", post("http://127.0.0.1:9/x")) + "]}", "type");
        bad("{\"type\": \"T\"}", "steps");
        bad("{\"type\": \"T\", \"steps\": []}", "steps");
        bad("{\"type\": \"T\", \"steps\": [null]}", "steps[0]");
        bad(saga(IntStream.range(0, 101).mapToObj(i -> step("s" + i, post("http://127.0.0.1:9/x")))
                .collect(Collectors.joining(","))), "steps");
        bad(saga("{\"action\": " + post("http://127.0.0.1:9/x") + "}"), "steps[0].name");
        bad(saga("{\"name\": \"a b\", \"action\": " + post("http://127.0.0.1:9/x") + "}"), "steps[0].name");
        bad(saga("{\"name\": \"a\"}"), "steps[0].action");
        bad(saga(step("a", "{\"url\": \"http://127.0.0.1:9/x\"}")), "steps[0].action.method");
        bad(saga(step("a", "{\"method\": \"POST\"}")), "steps[0].action.url");
        bad(saga(step("a", post("http://127.0.0.1:9/x"), "{\"url\": \"http://127.0.0.1:9/y\"}")),
                "steps[0].compensation.method");
        bad(saga(step("a", "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:9/x\", \"timeout\": \"P31D\"}")),
                "steps[0].action.timeout");
        bad("{\"type\": \"T\", \"lockTimeout\": \"PT0S\", \"steps\": [" + step("a", post("http://127.0.0.1:9/x")) + "]}",
                "lockTimeout");
    }

    @Test
    void bad_locks_are_bad_requests() {
        String action = ", \"action\": " + post("http://127.0.0.1:9/x") + "}";
        bad(saga("{\"name\": \"a\", \"locks\": [{\"resource\": \"\", \"mode\": \"SHARED\"}]" + action),
                "steps[0].locks[0].resource");
        bad(saga("{\"name\": \"a\", \"locks\": [{\"mode\": \"SHARED\"}]" + action), "steps[0].locks[0].resource");
        bad(saga("{\"name\": \"a\", \"locks\": [{\"resource\": \"" + "r".repeat(201) + "\", \"mode\": \"SHARED\"}]"
                + action), "steps[0].locks[0].resource");
        bad(saga("{\"name\": \"a\", \"locks\": [{\"resource\": \"a\\tb\", \"mode\": \"SHARED\"}]" + action),
                "steps[0].locks[0].resource");
        bad(saga("{\"name\": \"a\", \"locks\": [{\"resource\": \"r\"}]" + action), "steps[0].locks[0].mode");
        bad(saga("{\"name\": \"a\", \"locks\": [null]" + action), "steps[0].locks[0]");
        String locks = IntStream.range(0, 33).mapToObj(i -> "{\"resource\": \"r" + i + "\", \"mode\": \"SHARED\"}")
                .collect(Collectors.joining(","));
        bad(saga("{\"name\": \"a\", \"locks\": [" + locks + "]" + action), "steps[0].locks");
    }

    @Test
    void bad_retry_policies_are_bad_requests() {
        String action = "\"action\": " + post("http://127.0.0.1:9/x");
        bad(saga("{\"name\": \"a\", " + action + ", \"retry\": {\"maxAttempts\": 0}}"), "steps[0].retry.maxAttempts");
        bad(saga("{\"name\": \"a\", " + action + ", \"retry\": {\"maxAttempts\": 101}}"), "steps[0].retry.maxAttempts");
        bad(saga("{\"name\": \"a\", " + action + ", \"retry\": {\"multiplier\": 0.5}}"), "steps[0].retry.multiplier");
        bad(saga("{\"name\": \"a\", " + action + ", \"retry\": {\"multiplier\": 100.5}}"), "steps[0].retry.multiplier");
        bad(saga("{\"name\": \"a\", " + action + ", \"retry\": {\"initialBackoff\": \"PT10S\", \"maxBackoff\": \"PT1S\"}}"),
                "steps[0].retry.maxBackoff");
        bad(saga("{\"name\": \"a\", " + action + ", \"retry\": {\"initialBackoff\": \"PT0.01S\"}}"),
                "steps[0].retry.initialBackoff");
        valid(saga("{\"name\": \"a\", " + action + ", \"retry\": {\"maxAttempts\": 1, \"multiplier\": 1.0,"
                + " \"initialBackoff\": \"PT1S\", \"maxBackoff\": \"PT1S\"}}"));
    }

    @Test
    void bad_labels_are_bad_requests() {
        String steps = ", \"steps\": [" + step("a", post("http://127.0.0.1:9/x")) + "]}";
        bad("{\"type\": \"T\", \"labels\": {\"bad key\": \"v\"}" + steps, "labels.bad key");
        bad("{\"type\": \"T\", \"labels\": {\"\": \"v\"}" + steps, "labels.");
        bad("{\"type\": \"T\", \"labels\": {\"k\": \"" + "v".repeat(201) + "\"}" + steps, "labels.k");
        bad("{\"type\": \"T\", \"labels\": {\"k\": null}" + steps, "labels.k");
        String tooMany = IntStream.range(0, 33).mapToObj(i -> "\"k" + i + "\": \"v\"").collect(Collectors.joining(","));
        bad("{\"type\": \"T\", \"labels\": {" + tooMany + "}" + steps, "labels");
        valid("{\"type\": \"T\", \"labels\": {\"app.kubernetes.io/name\": \"shop\", \"tenant\": \"\"}" + steps);
    }

    @Test
    void secrets_are_allowed_in_header_values_only_and_must_be_configured() {
        SagaRequestValidator withSecrets = new SagaRequestValidator(new DefaultLimits(), ALLOW_LIST::allows,
                "payments-token"::equals, url -> false);
        java.util.function.Function<String, ProblemException> refusal = json -> catchThrowableOfType(
                ProblemException.class, () -> withSecrets.validate(READER.read(json.getBytes())));
        assertThat(refusal.apply(saga(step("s", postWithHeaders("{\"Authorization\": \"Bearer {{secrets.payments-token}}\"}")))))
                .isNull();
        assertThat(refusal.apply(saga(step("s", postWithHeaders("{\"Authorization\": \"{{secrets.other}}\"}")))).errors())
                .extracting(FieldError::field, FieldError::message)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("steps[0].action.headers.Authorization",
                        "template {{secrets.other}} names no configured secret (saga.secrets.other)"));
        assertThat(refusal.apply(saga(step("s", postWithBody("http://127.0.0.1:9/x", "{\"t\": \"{{secrets.payments-token}}\"}"))))
                .errors()).extracting(FieldError::field).containsExactly("steps[0].action.body.t");
        assertThat(refusal.apply(saga(step("s", post("http://127.0.0.1:9/x?t={{secrets.payments-token}}")))).status())
                .isEqualTo(422);
        assertThat(refusal.apply(saga(step("s", postWithHeaders("{\"X\": \"{{secrets.Payments_Token}}\"}")))).errors())
                .extracting(FieldError::field).containsExactly("steps[0].action.headers.X");
        // Without secrets configured, every reference names nothing.
        notAllowed(saga(step("s", postWithHeaders("{\"Authorization\": \"{{secrets.payments-token}}\"}"))),
                "steps[0].action.headers.Authorization");
    }
}
