package io.sagawarden.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.openqa.selenium.By;

/**
 * A page on another site, opened in the same browser as the console, that tries to act on the service: a simple
 * (preflight-free) POST of a saga as plain text and an abort with no Content-Type, a JSON abort that needs a
 * preflight, a form post of an abort and a form that smuggles a saga's JSON as {@code text/plain}. It reports what
 * the browser let it send; the caller then checks that nothing changed.
 */
public final class CrossSitePage {

    private static final String PAGE = """
            <!doctype html>
            <html><head><title>A page on another site</title></head><body>
            <iframe name="sink-abort"></iframe><iframe name="sink-submit"></iframe>
            <form id="abort" method="POST" action="%1$s/api/v1/sagas/%2$s/abort" target="sink-abort">
              <input name="reason" value="none"></form>
            <form id="submit" method="POST" enctype="text/plain" action="%1$s/api/v1/sagas" target="sink-submit">
              <input name='%3$s' value='"}}'></form>
            <script>
              const results = {};
              let framesLoaded = 0;
              async function attempt(name, send) {
                try {
                  const r = await send();
                  results[name] = 'sent:' + r.type;
                } catch (e) {
                  results[name] = 'blocked:' + e.name;
                }
              }
              function finish() {
                results.formsAnswered = String(framesLoaded);
                document.body.dataset.results = JSON.stringify(results);
                document.body.dataset.done = 'true';
              }
              (async () => {
                await attempt('plainTextSaga', () => fetch('%1$s/api/v1/sagas', {method: 'POST', mode: 'no-cors',
                  headers: {'Content-Type': 'text/plain'}, body: '%4$s'}));
                await attempt('untypedAbort', () => fetch('%1$s/api/v1/sagas/%2$s/abort', {method: 'POST', mode: 'no-cors',
                  body: new Blob(['{}'])}));
                await attempt('jsonAbort', () => fetch('%1$s/api/v1/sagas/%2$s/abort', {method: 'POST',
                  headers: {'Content-Type': 'application/json'}, body: '{}', credentials: 'include'}));
                for (const frame of document.querySelectorAll('iframe')) {
                  frame.addEventListener('load', () => { if (++framesLoaded === 2) finish(); });
                }
                document.getElementById('abort').submit();
                document.getElementById('submit').submit();
                setTimeout(finish, 8000);
              })();
            </script>
            </body></html>
            """;

    private CrossSitePage() {
    }

    /**
     * Serves the page from {@code site} (another origin than {@code service}), opens it in {@code chromium}, and
     * returns what each attempt came to: {@code sent:opaque} where the browser sent it without letting the page read
     * the answer, {@code blocked:TypeError} where the browser refused to send it.
     */
    public static Map<String, String> attack(Chromium chromium, TestParticipant site, String service, String sagaId,
                                             String sagaType) {
        String base = service.replaceAll("/$", "");
        String saga = "{\"type\":\"" + sagaType + "\",\"steps\":[{\"name\":\"x\",\"action\":{\"method\":\"POST\","
                + "\"url\":\"http://127.0.0.1:9/x\"}}],\"labels\":{\"x\":\"";
        String html = PAGE.formatted(base, sagaId, saga, saga + "\"}}");
        site.on("/attack", TestParticipant.raw(200, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), Map.of()));
        String page = site.url("/attack");
        assertThat(page).doesNotStartWith(base);
        chromium.driver().get(page);
        String results = chromium.await("the page on another site to have tried everything",
                d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-done"))
                        ? d.findElement(By.tagName("body")).getAttribute("data-results") : null);
        // What the browser reported is each refusal: the service's 401 or 415, CORS, and the framing rule (and, from
        // an earlier page without an icon, the icon it looked for).
        assertThat(chromium.errors()).as("the browser's reports while the page tried").allSatisfy(e -> assertThat(e)
                .containsAnyOf("status of 415", "status of 401", "CORS policy", "frame-ancestors", "net::ERR_FAILED",
                        "favicon.ico"));
        try {
            @SuppressWarnings("unchecked")
            Map<String, String> tried = new ObjectMapper().readValue(results, Map.class);
            return tried;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
