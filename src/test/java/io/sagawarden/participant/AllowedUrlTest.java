package io.sagawarden.participant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AllowedUrlTest {

    static Stream<Arguments> table() {
        return Stream.of(
                // ports: a fixed port, any port, and the scheme's default when none is written
                Arguments.of("http://127.0.0.1:9000", "http://127.0.0.1:9000/x", true),
                Arguments.of("http://127.0.0.1:9000", "http://127.0.0.1:9001/x", false),
                Arguments.of("http://127.0.0.1:9000", "http://127.0.0.1/x", false),
                Arguments.of("http://127.0.0.1:*", "http://127.0.0.1:1/x", true),
                Arguments.of("http://127.0.0.1:*", "http://127.0.0.1:65535/x", true),
                Arguments.of("http://127.0.0.1:*", "http://127.0.0.1/x", true),
                Arguments.of("http://inventory", "http://inventory/x", true),
                Arguments.of("http://inventory", "http://inventory:80/x", true),
                Arguments.of("http://inventory", "http://inventory:8080/x", false),
                Arguments.of("https://inventory", "https://inventory/x", true),
                Arguments.of("https://inventory", "https://inventory:443/x", true),
                Arguments.of("https://inventory", "https://inventory:80/x", false),
                Arguments.of("https://inventory:443", "https://inventory/x", true),
                // schemes are part of the entry
                Arguments.of("http://inventory", "https://inventory:80/x", false),
                Arguments.of("https://inventory", "http://inventory:443/x", false),
                Arguments.of("http://127.0.0.1:*", "ftp://127.0.0.1:21/x", false),
                // case does not matter in schemes and hosts
                Arguments.of("http://localhost:*", "HTTP://LOCALHOST:9/x", true),
                Arguments.of("HTTP://LocalHost:*", "http://localhost:9/x", true),
                // *. means any subdomain, never the bare domain or a look-alike
                Arguments.of("https://*.payments.internal", "https://a.payments.internal/x", true),
                Arguments.of("https://*.payments.internal", "https://a.b.payments.internal/x", true),
                Arguments.of("https://*.payments.internal", "https://payments.internal/x", false),
                Arguments.of("https://*.payments.internal", "https://evilpayments.internal/x", false),
                Arguments.of("https://*.payments.internal", "https://a.payments.internal.evil.example/x", false),
                Arguments.of("https://*.payments.internal", "https://a.payments.internal:8443/x", false),
                // a host matches as a whole, never as a prefix or suffix of the text
                Arguments.of("http://127.0.0.1:*", "http://127.0.0.1.evil.example/x", false),
                Arguments.of("http://127.0.0.1:*", "http://127.0.0.1.evil.example:9/x", false),
                Arguments.of("http://127.0.0.1:*", "http://evil127.0.0.1/x", false),
                Arguments.of("http://127.0.0.1:*", "http://evil.127.0.0.1/x", false),
                Arguments.of("http://127.0.0.1:*", "http://127.0.0.10/x", false),
                Arguments.of("http://127.0.0.1:*", "http://127.0.0.1@evil.example/x", false),
                Arguments.of("http://localhost:*", "http://localhost.evil.example/x", false),
                // IPv6 literals
                Arguments.of("http://[::1]:*", "http://[::1]:8080/x", true),
                Arguments.of("http://[::1]:*", "http://[::1]/x", true),
                Arguments.of("http://[::1]:8080", "http://[::1]:8080/x", true),
                Arguments.of("http://[::1]:8080", "http://[::1]:8081/x", false),
                Arguments.of("http://[::1]:*", "http://[::2]:8080/x", false),
                Arguments.of("http://127.0.0.1:*", "http://[::1]:8080/x", false),
                // path prefixes
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api", true),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/", true),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/reserve", true),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/v1/reserve?x=1", true),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/admin", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080", false),
                Arguments.of("http://inventory:8080/api/", "http://inventory:8080/api/reserve", true),
                Arguments.of("http://inventory:8080/api/", "http://inventory:8080/apix", false),
                Arguments.of("http://inventory:8080", "http://inventory:8080", true),
                Arguments.of("http://inventory:8080", "http://inventory:8080/anything/at/all", true),
                // a prefix is a whole path segment: /api does not let /apiary or /api-admin through
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/apiary", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api-admin/drop", false),
                // no way out of the prefix with dot segments, written plainly or percent-encoded
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/../admin", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/..", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/x/../../admin", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/%2e%2e/admin", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/%2E%2E/admin", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/.%2e/admin", false),
                Arguments.of("http://inventory:8080/api", "http://inventory:8080/api/..data/x", true));
    }

    @ParameterizedTest(name = "{0} allows {1}: {2}")
    @MethodSource("table")
    void an_entry_matches_urls_by_scheme_host_port_and_path(String entry, String url, boolean allowed) {
        assertThat(AllowedUrl.parse(entry).matches(URI.create(url))).isEqualTo(allowed);
    }

    @Test
    void an_entry_is_parsed_into_its_parts_with_default_ports_and_root_path() {
        assertThat(AllowedUrl.parse("http://Inventory")).isEqualTo(new AllowedUrl("http", "inventory", 80, false, "/"));
        assertThat(AllowedUrl.parse("https://inventory")).isEqualTo(new AllowedUrl("https", "inventory", 443, false, "/"));
        assertThat(AllowedUrl.parse("http://127.0.0.1:*/api"))
                .isEqualTo(new AllowedUrl("http", "127.0.0.1", null, true, "/api"));
        assertThat(AllowedUrl.parse(" http://[::1]:8080 ")).isEqualTo(new AllowedUrl("http", "[::1]", 8080, false, "/"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", "inventory:8080", "ftp://inventory", "http://", "http://user@inventory",
            "http://inventory:port", "http://inventory:123456", "http://inventory/api?x=1", "http://inventory/api#x",
            "//inventory/api"})
    void an_entry_that_is_not_scheme_host_port_path_is_refused(String entry) {
        assertThatThrownBy(() -> AllowedUrl.parse(entry)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_allow_list_refuses_user_info_and_host_less_urls_and_accepts_any_matching_entry() {
        ParticipantAllowList list = new ParticipantAllowList(
                Optional.of(List.of("http://127.0.0.1:*", "https://*.payments.internal")));
        assertThat(list.allows(URI.create("http://127.0.0.1:9/x"))).isTrue();
        assertThat(list.allows(URI.create("https://eu.payments.internal/charge"))).isTrue();
        assertThat(list.allows(URI.create("http://user:secret@127.0.0.1:9/x"))).isFalse();
        assertThat(list.allows(URI.create("http://10.0.0.1/x"))).isFalse();
        assertThat(list.allows(URI.create("/relative/x"))).isFalse();
        assertThat(list.allows(null)).isFalse();
    }

    @Test
    void an_empty_or_invalid_allow_list_stops_the_start() {
        assertThatThrownBy(() -> new ParticipantAllowList(Optional.empty()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("saga.participants.allowed-urls");
        assertThatThrownBy(() -> new ParticipantAllowList(Optional.of(List.of())))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new ParticipantAllowList(Optional.of(List.of("ftp://x"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ftp://x");
    }
}
