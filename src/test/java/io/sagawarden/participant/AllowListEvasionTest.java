package io.sagawarden.participant;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Paths that look inside an allowed prefix but that some server would resolve outside it: Tomcat's {@code ;}
 * parameters, IIS' backslashes, double encoding, overlong UTF-8, fullwidth dots. None matches {@code /ok}; honest
 * paths still do.
 */
class AllowListEvasionTest {

    private static final AllowedUrl OK = AllowedUrl.parse("http://127.0.0.1:*/ok");

    @ParameterizedTest
    @ValueSource(strings = {
            "/ok/..;/admin", "/ok/..%3B/admin", "/ok/..%3b/admin", "/ok/%2e%2e/admin", "/ok/%252e%252e/admin",
            "/ok/%25252e%25252e/admin", "/ok/..%5c..%5cadmin", "/ok/%5c..%5cadmin", "/ok/%C0%AE%C0%AE/admin",
            "/ok/%E0%80%AE%E0%80%AE/admin", "/ok/%EF%BC%8E%EF%BC%8E/admin", "/ok/％２ｅ％２ｅ/admin", "/ok/．．/admin",
            "/ok/x;jsessionid=1", "/ok/%00/admin", "/ok/a%0d%0aX-Injected:%201", "/ok/%2e/admin", "/ok/./admin",
            "/ok%2F..%2Fadmin", "/ok%2fx", "/ok/%2525252525252e%2525252525252e/admin", "/ok/%ff"})
    void a_path_that_could_leave_its_prefix_matches_nothing(String path) {
        assertThat(OK.matches(URI.create("http://127.0.0.1:9000" + path))).as(path).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ok", "/ok/", "/ok/orders/o-1", "/ok/a%20b", "/ok/50%25off", "/ok/x%2Fy", "/ok/caf%C3%A9",
            "/ok/...", "/ok/.well-known", "/ok/a.b.c", "/ok/%7Euser"})
    void an_honest_path_inside_the_prefix_matches(String path) {
        assertThat(OK.matches(URI.create("http://127.0.0.1:9000" + path))).as(path).isTrue();
    }
}
