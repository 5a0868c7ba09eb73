package io.sagawarden.execution;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.Sagas.awaitEnd;
import static io.sagawarden.testing.Sagas.submit;
import static io.sagawarden.testing.TestParticipant.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.TestParticipant;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A small definition can name a large reply many times: rendered, its request would be many times what anyone
 * submitted or replied, held in this node's memory. Such a call is never made; its step fails with the reason, and
 * the saga compensates. A request just under the limit goes out whole.
 */
@QuarkusTest
class RenderedRequestSizeTest {

    private static final int REPLY_CHARS = 200_000;

    private TestParticipant participant;

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        participant.on("/ok/big", json(200, "{\"blob\": \"" + "x".repeat(REPLY_CHARS) + "\"}"));
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void a_body_naming_a_large_reply_too_often_is_never_sent() {
        int copies = CallRequests.MAX_INSERTED_CHARS / REPLY_CHARS + 1;
        String id = submit(aSaga().step("big", participant.url("/ok/big")).withCompensation(participant.url("/ok/undo"))
                .step("echo", participant.url("/ok/echo")).withActionBody(bodyNaming(copies)));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[1].lastError")).contains("would pass " + CallRequests.MAX_INSERTED_CHARS + " characters");
        assertThat(participant.paths()).containsExactly("/ok/big", "/ok/undo");
    }

    @Test
    void a_body_under_the_limit_is_sent_whole() {
        int copies = CallRequests.MAX_INSERTED_CHARS / REPLY_CHARS - 1;
        String id = submit(aSaga().step("big", participant.url("/ok/big")).step("echo", participant.url("/ok/echo"))
                .withActionBody(bodyNaming(copies)));

        assertThat(awaitEnd(id).getString("status")).isEqualTo("COMPLETED");
        assertThat(participant.calls("/ok/echo").getFirst().body()).hasSizeGreaterThan(copies * REPLY_CHARS);
    }

    private static String bodyNaming(int copies) {
        StringJoiner body = new StringJoiner(", ", "{", "}");
        for (int i = 0; i < copies; i++) {
            body.add("\"f" + i + "\": \"{{steps.big.response.blob}}\"");
        }
        return body.toString();
    }
}
