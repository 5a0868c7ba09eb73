package io.sagawarden.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TemplateTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<String> STEPS = List.of("reserve-stock", "charge", "ship.v2", "ship");

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static final JsonNode PAYLOAD = json("""
            {"orderId": "o-1", "sku": "sku-42", "qty": 2, "price": 9.5, "gift": false,
             "customer": {"name": "Ada", "tags": ["vip", "eu"]}, "items": [{"sku": "a"}, {"sku": "b"}],
             "nothing": null}""");
    private static final Map<String, JsonNode> RESPONSES = Map.of(
            "reserve-stock", json("{\"reservationId\": \"r-9\", \"count\": 3}"),
            "ship.v2", json("{\"tracking\": \"T-1\"}"),
            "ship", json("{\"tracking\": \"T-0\"}"));

    private static TemplateRenderer renderer() {
        return new TemplateRenderer(STEPS, t -> t.source() == Template.Source.PAYLOAD
                ? TemplateRenderer.at(PAYLOAD, t.path())
                : Optional.ofNullable(RESPONSES.get(t.stepName())).flatMap(r -> TemplateRenderer.at(r, t.path())));
    }

    // --- parsing

    @Test
    void a_payload_template_is_parsed_into_its_path() {
        Template.Parsed parsed = Template.parse("payload.customer.name", STEPS);
        assertThat(parsed.ok()).isTrue();
        assertThat(parsed.template().source()).isEqualTo(Template.Source.PAYLOAD);
        assertThat(parsed.template().stepName()).isNull();
        assertThat(parsed.template().path()).containsExactly("customer", "name");
        assertThat(Template.parse("payload", STEPS).template().path()).isEmpty();
        assertThat(Template.parse("payload.items.0.sku", STEPS).template().path()).containsExactly("items", "0", "sku");
    }

    @Test
    void a_step_template_is_parsed_into_its_step_and_path() {
        Template t = Template.parse("steps.reserve-stock.response.reservationId", STEPS).template();
        assertThat(t.source()).isEqualTo(Template.Source.STEP_RESPONSE);
        assertThat(t.stepName()).isEqualTo("reserve-stock");
        assertThat(t.path()).containsExactly("reservationId");
        Template whole = Template.parse("steps.charge.response", STEPS).template();
        assertThat(whole.stepName()).isEqualTo("charge");
        assertThat(whole.path()).isEmpty();
    }

    @Test
    void a_step_name_with_dots_is_matched_against_the_declared_names_longest_first() {
        Template dotted = Template.parse("steps.ship.v2.response.tracking", STEPS).template();
        assertThat(dotted.stepName()).isEqualTo("ship.v2");
        assertThat(dotted.path()).containsExactly("tracking");
        Template plain = Template.parse("steps.ship.response.v2.tracking", STEPS).template();
        assertThat(plain.stepName()).isEqualTo("ship");
        assertThat(plain.path()).containsExactly("v2", "tracking");
        Template odd = Template.parse("steps.a.b.c.response.x", List.of("a", "a.b", "a.b.c")).template();
        assertThat(odd.stepName()).isEqualTo("a.b.c");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"payload.", "payload..sku", "payload.sku.", "payload.a b", "payload.a/b",
            "payload.a[0]", "steps.charge.response.", "steps.charge.response..x", "steps.charge.response.a b"})
    void an_invalid_path_is_reported(String expression) {
        Template.Parsed parsed = Template.parse(expression, STEPS);
        assertThat(parsed.ok()).isFalse();
        assertThat(parsed.problem()).contains("invalid path");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"steps.nope.response.x", "steps.charge", "steps.charge.result.x", "steps.charge.responses",
            "steps.", "steps.ship.v3.response"})
    void a_step_template_naming_no_declared_step_response_is_reported(String expression) {
        Template.Parsed parsed = Template.parse(expression, STEPS);
        assertThat(parsed.ok()).isFalse();
        assertThat(parsed.problem()).contains("unknown step");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"env.HOME", "", "payloads.x", "PAYLOAD.sku", "steps", "sku", "response.x"})
    void an_unknown_root_is_reported(String expression) {
        Template.Parsed parsed = Template.parse(expression, STEPS);
        assertThat(parsed.ok()).isFalse();
        assertThat(parsed.problem()).contains("must start with payload");
    }

    @Test
    void all_templates_in_a_string_are_found_in_order_with_surrounding_spaces_ignored() {
        List<Template.Parsed> found = Template.findAll(
                "/orders/{{payload.orderId}}/items/{{ steps.reserve-stock.response.reservationId }}?x={{env.X}}", STEPS);
        assertThat(found).extracting(Template.Parsed::expression)
                .containsExactly("payload.orderId", "steps.reserve-stock.response.reservationId", "env.X");
        assertThat(found).extracting(Template.Parsed::ok).containsExactly(true, true, false);
        assertThat(Template.findAll("no templates { here }", STEPS)).isEmpty();
        assertThat(Template.findAll(null, STEPS)).isEmpty();
    }

    @Test
    void a_whole_string_template_is_recognised_only_when_it_is_the_whole_string() {
        assertThat(Template.wholeExpression("{{payload.qty}}")).contains("payload.qty");
        assertThat(Template.wholeExpression("{{ payload.qty }}")).contains("payload.qty");
        assertThat(Template.wholeExpression("x{{payload.qty}}")).isEmpty();
        assertThat(Template.wholeExpression("{{payload.qty}} ")).isEmpty();
        assertThat(Template.wholeExpression("{{payload.a}}{{payload.b}}")).isEmpty();
    }

    // --- rendering

    @Test
    void text_is_rendered_with_values_as_plain_text_and_structures_as_json() {
        TemplateRenderer r = renderer();
        assertThat(r.renderText("/orders/{{payload.orderId}}/qty/{{payload.qty}}")).isEqualTo("/orders/o-1/qty/2");
        assertThat(r.renderText("{{payload.price}} {{payload.gift}}")).isEqualTo("9.5 false");
        assertThat(r.renderText("r={{steps.reserve-stock.response.reservationId}}")).isEqualTo("r=r-9");
        assertThat(r.renderText("t={{steps.ship.v2.response.tracking}},{{steps.ship.response.tracking}}"))
                .isEqualTo("t=T-1,T-0");
        assertThat(r.renderText("{{payload.customer.tags}}")).isEqualTo("[\"vip\",\"eu\"]");
        assertThat(r.renderText("{{payload.items.1.sku}}")).isEqualTo("b");
        assertThat(r.renderText("cost: $5 \\o/")).isEqualTo("cost: $5 \\o/");
        assertThat(r.renderText("{{payload.sku}}$1\\")).isEqualTo("sku-42$1\\");
        assertThat(r.renderText(null)).isNull();
    }

    @Test
    void a_rendered_value_containing_dollar_signs_or_backslashes_is_kept_literally() {
        TemplateRenderer r = new TemplateRenderer(List.of(), t -> Optional.of(json("\"a$1\\\\b\"")));
        assertThat(r.renderText("<{{payload.x}}>")).isEqualTo("<a$1\\b>");
    }

    @Test
    void a_whole_string_template_keeps_the_json_type_of_what_it_names() {
        JsonNode body = json("""
                {"qty": "{{payload.qty}}", "price": "{{ payload.price }}", "gift": "{{payload.gift}}",
                 "customer": "{{payload.customer}}", "tags": "{{payload.customer.tags}}",
                 "reservation": "{{steps.reserve-stock.response}}",
                 "label": "qty={{payload.qty}}", "list": ["{{payload.sku}}", 7, "{{payload.qty}}"],
                 "nested": {"deep": "{{steps.reserve-stock.response.count}}"}, "literal": 1, "none": null}""");
        JsonNode out = renderer().renderJson(body);
        assertThat(out).isEqualTo(json("""
                {"qty": 2, "price": 9.5, "gift": false,
                 "customer": {"name": "Ada", "tags": ["vip", "eu"]}, "tags": ["vip", "eu"],
                 "reservation": {"reservationId": "r-9", "count": 3},
                 "label": "qty=2", "list": ["sku-42", 7, 2],
                 "nested": {"deep": 3}, "literal": 1, "none": null}"""));
        assertThat(out.get("qty").isNumber()).isTrue();
        assertThat(out.get("customer").isObject()).isTrue();
        assertThat(body.get("qty").asText()).as("the input is left as it was").isEqualTo("{{payload.qty}}");
        assertThat(renderer().renderJson(null)).isNull();
        assertThat(renderer().renderJson(json("\"{{payload.qty}}\""))).isEqualTo(json("2"));
    }

    @Test
    void headers_are_rendered_as_text() {
        assertThat(renderer().renderHeaders(Map.of("X-Order", "{{payload.orderId}}", "X-Qty", "{{payload.qty}}")))
                .containsExactlyInAnyOrderEntriesOf(Map.of("X-Order", "o-1", "X-Qty", "2"));
        assertThat(renderer().renderHeaders(null)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"{{payload.missing}}", "x-{{payload.customer.missing}}", "{{payload.nothing}}",
            "{{payload.items.5.sku}}", "{{payload.sku.deeper}}", "{{steps.charge.response.id}}",
            "{{steps.reserve-stock.response.missing}}", "{{env.HOME}}", "{{steps.nope.response}}"})
    void a_template_resolving_to_nothing_throws(String text) {
        assertThatThrownBy(() -> renderer().renderText(text))
                .isInstanceOf(TemplateRenderer.UnresolvedTemplateException.class);
        assertThatThrownBy(() -> renderer().renderJson(MAPPER.valueToTree(Map.of("v", text))))
                .isInstanceOf(TemplateRenderer.UnresolvedTemplateException.class);
    }

    @Test
    void a_lookup_of_json_null_or_a_missing_path_is_absent() {
        assertThat(TemplateRenderer.at(PAYLOAD, List.of("nothing"))).isEmpty();
        assertThat(TemplateRenderer.at(PAYLOAD, List.of("customer", "missing"))).isEmpty();
        assertThat(TemplateRenderer.at(null, List.of())).isEmpty();
        assertThat(TemplateRenderer.at(PAYLOAD, List.of("items", "0", "sku"))).contains(json("\"a\""));
        assertThat(TemplateRenderer.at(PAYLOAD, List.of())).contains(PAYLOAD);
    }
}
