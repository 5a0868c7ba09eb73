package io.sagawarden.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import org.junit.jupiter.api.Test;

/** What PostgreSQL refuses, or would blow up, found before it is asked to store it. */
class StorableTest {

    private static final ObjectReader EXACT = new ObjectMapper().reader().with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final long MAX = 262_144;

    private static JsonNode json(String text) throws Exception {
        return EXACT.readTree(text);
    }

    @Test
    void ordinary_replies_may_be_kept() throws Exception {
        assertThat(Storable.jsonProblem(json("{\"id\": \"r-9\", \"qty\": 2, \"price\": 9.99, \"ok\": true, \"x\": null}"), MAX)).isEmpty();
        assertThat(Storable.jsonProblem(json("{\"emoji\": \"\\ud83d\\ude00\", \"tiny\": 1e-16383}"), MAX)).isEmpty();
        assertThat(Storable.jsonProblem(json("[\"" + "a".repeat(200_000) + "\"]"), MAX)).as("a large string under the cap").isEmpty();
    }

    @Test
    void nul_and_unpaired_surrogates_are_refused_in_values_and_names() throws Exception {
        assertThat(Storable.jsonProblem(json("{\"a\": \"x\\u0000y\"}"), MAX)).hasValueSatisfying(why -> assertThat(why).contains("$.a"));
        assertThat(Storable.jsonProblem(json("{\"a\": [\"\\ud800\"]}"), MAX)).hasValueSatisfying(why -> assertThat(why).contains("$.a[0]"));
        assertThat(Storable.jsonProblem(json("{\"a\\u0000\": 1}"), MAX)).isPresent();
        assertThat(Storable.jsonProblem(json("{\"a\": \"\\udc00\\ud800\"}"), MAX)).as("reversed pair").isPresent();
    }

    @Test
    void numbers_outside_postgresql_numerics_are_refused() throws Exception {
        assertThat(Storable.jsonProblem(json("[1e131072]"), MAX)).isPresent();
        assertThat(Storable.jsonProblem(json("[1e-16384]"), MAX)).isPresent();
        assertThat(Storable.jsonProblem(new ObjectMapper().readTree("[1e400]"), MAX)).as("a double that overflowed").isPresent();
    }

    @Test
    void a_reply_that_grows_once_stored_is_refused() throws Exception {
        // Eight bytes on the wire each, printed by PostgreSQL as 100,001 digits.
        assertThat(Storable.jsonProblem(json("[1e100000, 1e100000, 1e100000]"), MAX))
                .hasValueSatisfying(why -> assertThat(why).contains("more than 262144 bytes"));
        assertThat(Storable.jsonProblem(json("[1e100000]"), MAX)).isEmpty();
        assertThat(Storable.jsonProblem(json("[\"" + "\\u0001".repeat(50_000) + "\"]"), MAX)).as("escapes count").isPresent();
    }

    @Test
    void text_is_kept_storable_and_short() {
        assertThat(Storable.text(null)).isNull();
        assertThat(Storable.text("a\u0000b\ud800c\udc00")).isEqualTo("a\uFFFDb\uFFFDc\uFFFD");
        assertThat(Storable.text("ok \ud83d\ude00")).isEqualTo("ok \ud83d\ude00");
        String cut = Storable.text("x".repeat(5_000));
        assertThat(cut).hasSize(Storable.MAX_TEXT + 1).endsWith("…");
        String pairAtTheEdge = "x".repeat(Storable.MAX_TEXT - 1) + "\ud83d\ude00";
        assertThat(Storable.isStorable(Storable.text(pairAtTheEdge))).as("a pair is never split").isTrue();
        assertThat(Storable.isStorable("fine")).isTrue();
        assertThat(Storable.isStorable("\ud800")).isFalse();
    }
}
