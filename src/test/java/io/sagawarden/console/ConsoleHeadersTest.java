package io.sagawarden.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The console's files and the API's answers carry the headers that keep them out of other sites' pages, and the
 * console is revalidated on every load rather than cached as immutable. Security is off here: the console may talk
 * to this service only.
 */
@QuarkusTest
class ConsoleHeadersTest {

    @Test
    void the_console_forbids_framing_sniffing_and_referrers_and_is_never_cached_as_immutable() {
        for (String path : List.of("/", "/index.html", "/app.js", "/login.js", "/style.css")) {
            Response response = given().get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.header("Content-Security-Policy")).as(path)
                    .contains("frame-ancestors 'none'").contains("script-src 'self'").contains("connect-src 'self';")
                    .doesNotContain("unsafe-inline");
            assertThat(response.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
            assertThat(response.header("Referrer-Policy")).as(path).isEqualTo("no-referrer");
            assertThat(response.header("X-Frame-Options")).as(path).isEqualTo("DENY");
            assertThat(response.header("Cache-Control")).as(path).isEqualTo("no-cache").doesNotContain("immutable");
        }
        assertThat(given().get("/").asString()).doesNotContain("http-equiv=\"Content-Security-Policy\"");
    }

    @Test
    void api_answers_are_not_stored_and_not_framed() {
        Response response = given().get("/api/v1/sagas");
        assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        assertThat(response.header("Content-Security-Policy")).contains("frame-ancestors 'none'");
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(response.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void the_console_settings_say_security_is_off() {
        given().get("/console/settings").then().statusCode(200)
                .body("security", org.hamcrest.Matchers.is(false))
                .body("provider", org.hamcrest.Matchers.nullValue());
    }
}
