package io.sagawarden.execution;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.Sagas.awaitEnd;
import static io.sagawarden.testing.Sagas.submit;
import static io.sagawarden.testing.TestParticipant.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.TestParticipant.Call;
import io.sagawarden.testing.TestParticipant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Submitted data and participant replies never change a URL's structure: a template's value is percent-encoded for
 * the path segment or query value it lands in, and a value that would read as a way out of its segment is not
 * called at all. The participant records the request line exactly as it arrived.
 */
@QuarkusTest
class UrlTemplatesTest {

    private TestParticipant participant;

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void a_payload_value_cannot_add_query_parameters_or_path_segments() {
        String id = submit(aSaga().payload("{\"x\": \"1&role=admin\", \"u\": \"a/b?c#d\"}")
                .step("lookup", participant.url("/ok/users/{{payload.u}}/q?id={{payload.x}}&v=1")));

        assertThat(awaitEnd(id).getString("status")).isEqualTo("COMPLETED");
        Call call = participant.calls().getFirst();
        assertThat(call.path()).isEqualTo("/ok/users/a%2Fb%3Fc%23d/q");
        assertThat(call.query()).isEqualTo("id=1%26role%3Dadmin&v=1");
    }

    @Test
    void a_reply_cannot_cut_the_path_short_or_start_a_query() {
        participant.on("/ok/a", json(200, "{\"p\": \"x?admin=true&\"}"));
        String id = submit(aSaga().step("a", participant.url("/ok/a"))
                .step("b", participant.url("/ok/items/{{steps.a.response.p}}/detail")));

        assertThat(awaitEnd(id).getString("status")).isEqualTo("COMPLETED");
        Call call = participant.calls("/ok/items/x%3Fadmin%3Dtrue%26/detail").getFirst();
        assertThat(call.query()).isNull();
    }

    @Test
    void a_reply_that_steers_out_of_its_segment_is_never_called() {
        participant.on("/ok/a", json(200, "{\"id\": \"..;/..;/admin/delete-all\"}"));
        String id = submit(aSaga().step("a", participant.url("/ok/a")).withCompensation(participant.url("/ok/undo"))
                .step("b", participant.url("/ok/{{steps.a.response.id}}")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[1].lastError")).contains("outside the participant allow-list");
        assertThat(participant.paths()).containsExactly("/ok/a", "/ok/undo");
    }
}
