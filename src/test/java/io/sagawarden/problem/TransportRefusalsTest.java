package io.sagawarden.problem;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.Db;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Requests refused for their size or shape before anything reads them, written byte by byte on a socket as a
 * hostile client would: each answer is a problem naming the field, never the transport's bare status, never an
 * echo of the refused value, and nothing is stored.
 */
@QuarkusTest
class TransportRefusalsTest {

    private static final String SAGA = """
            {"type": "TransportRefused", "steps": [{"name": "s", "action": {"method": "POST", "url": "http://127.0.0.1:9/x"}}]}""";

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    @Test
    void a_request_target_over_the_limit_is_a_414_naming_the_uri() throws IOException {
        Answer answer = send("GET /api/v1/sagas?type=" + "a".repeat(5_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");

        answer.assertProblem(414, "uri");
        assertThat(answer.body).doesNotContain("aaaa");
    }

    /**
     * The one refusal that stays the transport's: a header value with control characters is refused by the HTTP
     * decoder before any handler runs (Quarkus offers no hook for Vert.x's answer to a request it cannot parse).
     * It is a 400, echoes nothing, and stores nothing.
     */
    @Test
    void a_header_with_control_characters_is_a_400_that_echoes_nothing() throws IOException {
        for (char c : new char[] {0, 1, '\u001f', '\u007f'}) {
            Answer answer = send(post("X-Trace-Note: secret" + c + "value\r\n", SAGA));

            assertThat(answer.status).as(answer.toString()).isEqualTo(400);
            assertThat(answer.head + answer.body).doesNotContain("secret");
        }
        assertNothingStored();
    }

    @Test
    void a_header_block_over_the_limit_is_a_431() throws IOException {
        Answer answer = send(post("X-Padding: " + "p".repeat(20_000) + "\r\n", SAGA));

        answer.assertProblem(431, "headers");
        assertThat(answer.body).doesNotContain("ppp");
        assertNothingStored();
    }

    @Test
    void a_declared_body_over_the_limit_is_a_413_before_any_of_it_is_read() throws IOException {
        for (long length : new long[] {2_000_000, 9_000_000, 900_000_000_000L}) {
            Answer answer = send("POST /api/v1/sagas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + length + "\r\n\r\n{");
            answer.assertProblem(413, "body");
        }
        assertNothingStored();
    }

    @Test
    void a_streamed_body_over_the_limit_is_a_413_naming_the_body() throws IOException {
        String padding = "\"" + "x".repeat(2_000_000) + "\"";
        String body = SAGA.replace("\"steps\"", "\"payload\": {\"p\": " + padding + "}, \"steps\"");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder chunked = new StringBuilder("POST /api/v1/sagas HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int at = 0; at < bytes.length; at += 65_536) {
            int size = Math.min(65_536, bytes.length - at);
            chunked.append(Integer.toHexString(size)).append("\r\n")
                    .append(new String(bytes, at, size, StandardCharsets.UTF_8)).append("\r\n");
        }
        Answer answer = send(chunked.append("0\r\n\r\n").toString());

        answer.assertProblem(413, "body");
        assertNothingStored();
    }

    @Test
    void requests_within_the_limits_still_pass() throws IOException {
        Answer answer = send("GET /api/v1/sagas?type=" + "a".repeat(3_000) + " HTTP/1.1\r\nHost: x\r\n"
                + "X-Trace-Note: tab\there\r\nConnection: close\r\n\r\n");

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
    }

    @Test
    void a_method_the_path_does_not_take_is_a_405_and_a_body_that_is_not_json_a_415() {
        RestAssured.given().delete("/api/v1/sagas").then().statusCode(405)
                .contentType("application/problem+json").body("errors[0].field", org.hamcrest.Matchers.is("method"));
        RestAssured.given().contentType("application/x-www-form-urlencoded").body("a=1").delete("/api/v1/sagas")
                .then().statusCode(415).body("errors[0].field", org.hamcrest.Matchers.is("Content-Type"));
    }

    private static String post(String extraHeader, String body) {
        return "POST /api/v1/sagas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extraHeader
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
    }

    private void assertNothingStored() {
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM sagas WHERE type = 'TransportRefused'")).isZero();
    }

    /** Writes {@code request} as ISO-8859-1 bytes and reads the answer until the server closes or goes quiet. */
    private static Answer send(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(3_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException refusedMidway) {
                // The server may answer and close before the whole request is written; the answer is still there.
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    received.write(buffer, 0, n);
                    if (complete(received.toString(StandardCharsets.ISO_8859_1))) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | java.net.SocketException quietOrReset) {
                // What arrived before is the answer.
            }
            return Answer.of(received.toString(StandardCharsets.UTF_8));
        }
    }

    private static boolean complete(String raw) {
        int end = raw.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = raw.substring(0, end).toLowerCase();
        int at = head.indexOf("content-length: ");
        if (at < 0) {
            return false;
        }
        int length = Integer.parseInt(head.substring(at + 16).split("\r\n")[0].trim());
        return raw.length() - end - 4 >= length;
    }

    private record Answer(int status, String head, String body) {

        static Answer of(String raw) {
            assertThat(raw).as("an answer").startsWith("HTTP/1.1 ");
            int end = raw.indexOf("\r\n\r\n");
            return new Answer(Integer.parseInt(raw.substring(9, 12)), raw.substring(0, end), raw.substring(end + 4));
        }

        void assertProblem(int expected, String field) {
            assertThat(status).as(toString()).isEqualTo(expected);
            assertThat(head.toLowerCase()).as(toString()).contains("content-type: application/problem+json");
            JsonPath problem = JsonPath.from(body);
            assertThat(problem.getInt("status")).isEqualTo(expected);
            assertThat(problem.getList("errors.field", String.class)).as(toString()).containsExactly(field);
        }
    }
}
