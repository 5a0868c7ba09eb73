package io.sagawarden.execution;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.Sagas.awaitEnd;
import static io.sagawarden.testing.Sagas.submit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every participant call of a saga carries a W3C {@code traceparent} of one trace, with OpenTelemetry off as it is by
 * default: the one the submission named, or, without a valid one, a trace whose id is the saga's. Each call is a span
 * of its own; a step cannot set the header. (With OpenTelemetry on: {@link SagaSpansTest}.)
 */
@QuarkusTest
class TraceContextTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final Pattern HEADER = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

    /** Where spans would go if the SDK were on: it is off unless an operator turns it on. */
    @Inject
    InMemorySpanExporter exporter;

    private TestParticipant participant;

    @BeforeEach
    void startParticipant() {
        participant = TestParticipant.start();
        participant.on("/charge", TestParticipant.json(400, "{}"));
    }

    @AfterEach
    void stopParticipant() {
        participant.close();
    }

    @Test
    void every_call_of_a_saga_belongs_to_the_trace_its_submission_named_each_as_a_span_of_its_own() {
        String id = submit(aSaga().type("TracedSaga").step("reserve", participant.url("/reserve"))
                .withCompensation(participant.url("/release")).step("charge", participant.url("/charge")),
                "00-" + TRACE + "-00f067aa0ba902b7-01");
        awaitEnd(id);

        List<String> headers = participant.calls().stream().map(c -> c.header("traceparent")).toList();
        assertThat(headers).hasSize(3);
        List<Matcher> parsed = headers.stream().map(HEADER::matcher).filter(Matcher::matches).toList();
        assertThat(parsed).as("valid traceparent headers: %s", headers).hasSize(3);
        assertThat(parsed).extracting(m -> m.group(1)).containsOnly(TRACE);
        assertThat(parsed).extracting(m -> m.group(3)).containsOnly("01");
        assertThat(parsed).extracting(m -> m.group(2)).doesNotHaveDuplicates().doesNotContain("00f067aa0ba902b7");
        given().get("/api/v1/sagas/" + id).then().statusCode(200).body("traceId", org.hamcrest.Matchers.is(TRACE));
        assertThat(exporter.getFinishedSpanItems()).as("spans recorded with the SDK off by default").isEmpty();
    }

    @Test
    void a_saga_submitted_without_a_valid_trace_is_a_trace_whose_id_is_the_saga_id() {
        for (String header : new String[] {null, "garbage", "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01",
            "00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01", "00-" + TRACE + "-" + "0".repeat(16) + "-01"}) {
            int before = participant.calls().size();
            String id = submit(aSaga().type("TracedSaga").step("reserve", participant.url("/reserve")), header);
            awaitEnd(id);

            String sent = participant.calls().get(before).header("traceparent");
            assertThat(sent).as("for a submission with traceparent %s", header)
                    .matches("00-" + id.replace("-", "") + "-[0-9a-f]{16}-01");
            given().get("/api/v1/sagas/" + id).then().statusCode(200)
                    .body("traceId", org.hamcrest.Matchers.is(id.replace("-", "")));
        }
    }

    @Test
    void a_step_cannot_set_the_trace_headers_itself() {
        for (String name : new String[] {"traceparent", "TraceState"}) {
            given().contentType(ContentType.JSON).body(aSaga().type("TracedSaga").step("reserve", participant.url("/reserve"))
                    .withActionHeader(name, "00-" + TRACE + "-00f067aa0ba902b7-01").json())
                    .post("/api/v1/sagas").then().statusCode(422)
                    .body("errors.field", hasItem("steps[0].action.headers." + name));
        }
    }
}
