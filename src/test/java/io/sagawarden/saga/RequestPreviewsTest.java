package io.sagawarden.saga;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagawarden.testing.SagaBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The requests a saga view shows: rendered as they are sent, with every secret redacted. */
class RequestPreviewsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper().findAndRegisterModules();
    private static final UUID SAGA = UUID.fromString("84e7a64d-4c20-46c9-ad53-b132b83fecf2");

    private static SagaRequest definition(SagaBuilder saga) {
        try {
            return MAPPER.readValue(saga.json(), SagaRequest.class);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static final SagaRequest ORDER = definition(SagaBuilder.aSaga()
            .payload("{\"user\": \"a/b\", \"sku\": \"sku-42\", \"qty\": 2}")
            .step("reserve", "http://127.0.0.1:9000/users/{{payload.user}}/reserve?sku={{payload.sku}}")
            .withActionHeader("Authorization", "Bearer {{secrets.test-token}}")
            .withActionHeader("X-Sku", "{{payload.sku}}")
            .withActionBody("{\"qty\": \"{{payload.qty}}\", \"note\": \"{{payload.qty}} of {{payload.sku}}\"}")
            .withCompensation("http://127.0.0.1:9000/release")
            .withCompensationBody("{\"reservation\": \"{{steps.reserve.response.id}}\"}")
            .step("charge", "http://127.0.0.1:9000/charge")
            .withActionBody("{\"reservation\": \"{{steps.reserve.response.id}}\"}"));

    private final Map<String, JsonNode> responses = new HashMap<>();

    private RequestPreviews previews(SagaRequest definition, int run) {
        return new RequestPreviews(SAGA, run, definition.steps(), definition.payload(), responses::get);
    }

    @Test
    void an_action_is_shown_as_sent_with_the_sagas_own_headers_and_its_secret_redacted() {
        RequestPreviews.Preview preview = previews(ORDER, 1).action(0);

        assertThat(preview.note()).isNull();
        SagaView.Request request = preview.request();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.url()).isEqualTo("http://127.0.0.1:9000/users/a%2Fb/reserve?sku=sku-42");
        assertThat(request.headers()).containsExactly(Map.entry("Authorization", "Bearer [redacted]"),
                Map.entry("X-Sku", "sku-42"), Map.entry("Idempotency-Key", SAGA + ":reserve:action"),
                Map.entry("Saga-Id", SAGA.toString()), Map.entry("Saga-Step", "reserve"));
        assertThat(request.body().toString()).isEqualTo("{\"qty\":2,\"note\":\"2 of sku-42\"}");
    }

    @Test
    void a_call_that_names_a_reply_not_yet_there_has_a_note_instead_until_the_reply_comes() {
        RequestPreviews before = previews(ORDER, 1);
        assertThat(before.action(1).request()).isNull();
        assertThat(before.action(1).note()).isEqualTo("template {{steps.reserve.response.id}} resolved to nothing");
        assertThat(before.compensation(0).request()).isNull();

        responses.put("reserve", MAPPER.valueToTree(Map.of("id", "r-9")));
        RequestPreviews after = previews(ORDER, 1);
        assertThat(after.action(1).note()).isNull();
        assertThat(after.action(1).request().body().toString()).isEqualTo("{\"reservation\":\"r-9\"}");
        assertThat(after.compensation(0).request().headers()).containsEntry("Idempotency-Key", SAGA + ":reserve:compensation");
    }

    @Test
    void a_step_without_compensation_shows_neither_a_request_nor_a_note() {
        assertThat(previews(ORDER, 1).compensation(1)).isEqualTo(new RequestPreviews.Preview(null, null));
    }

    @Test
    void a_restarted_saga_shows_the_keys_of_its_current_run() {
        assertThat(previews(ORDER, 3).action(0).request().headers()).containsEntry("Idempotency-Key", SAGA + ":reserve:action:run3");
    }

    @Test
    void a_body_that_repeats_a_large_reply_is_not_shown_and_does_not_grow_the_view() {
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < 40; i++) {
            body.append(i == 0 ? "" : ",").append("\"{{steps.big.response}}\"");
        }
        SagaRequest saga = definition(SagaBuilder.aSaga().step("big", "http://127.0.0.1:9000/big")
                .step("echo", "http://127.0.0.1:9000/echo").withActionBody(body.append("]").toString())
                .step("small", "http://127.0.0.1:9000/small").withActionBody("{\"id\": \"{{steps.big.response.id}}\"}"));
        responses.put("big", MAPPER.valueToTree(Map.of("id", "b-1", "blob", "x".repeat(64 * 1024))));

        RequestPreviews previews = previews(saga, 1);

        assertThat(previews.action(1).request()).isNull();
        assertThat(previews.action(1).note()).startsWith("not shown");
        assertThat(previews.action(2).request()).as("the budget is the view's: once spent, it is spent").isNull();
        assertThat(previews(saga, 1).action(2).request().body().toString()).isEqualTo("{\"id\":\"b-1\"}");
    }

    @Test
    void previews_and_calls_render_alike_since_both_go_through_one_rendering() {
        CallRendering rendering = new CallRendering(List.of("reserve", "charge"),
                CallRendering.values(ORDER.payload(), responses::get));
        CallRendering.Rendered sent = rendering.render(ORDER.steps().getFirst().action(),
                name -> Optional.of("s3cr3t"));
        SagaView.Request shown = previews(ORDER, 1).action(0).request();

        assertThat(shown.url()).isEqualTo(sent.url());
        assertThat(shown.body()).isEqualTo(sent.body());
        assertThat(sent.headers()).containsEntry("Authorization", "Bearer s3cr3t");
        assertThat(shown.headers().values()).noneMatch(v -> v.contains("s3cr3t"));
    }
}
