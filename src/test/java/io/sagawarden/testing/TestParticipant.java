package io.sagawarden.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP participant on loopback for tests. Each path can be told to answer at once, after a delay,
 * never, with an error, or with an error for the first N calls; every call is recorded with its headers.
 */
public final class TestParticipant implements AutoCloseable {

    /** One request as the participant saw it: the path and query raw, as on the wire (no query: null). */
    public record Call(String method, String path, Map<String, String> headers, String body, String query) {
        public String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    /** How a path answers; {@code callNumber} counts from 1 per path. */
    @FunctionalInterface
    public interface Behaviour {
        Reply reply(int callNumber, Call call) throws InterruptedException;
    }

    public record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
    }

    /** A call and the status it was answered with (recorded once the answer is sent). */
    public record Answer(Call call, int status) {
    }

    private final HttpServer server;
    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Answer> answers = new CopyOnWriteArrayList<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile Behaviour fallback = ok();

    private TestParticipant(HttpServer server) {
        this.server = server;
    }

    public static TestParticipant start() {
        return start(0);
    }

    /** On a fixed port, for sinks the application is configured with before the test starts. */
    public static TestParticipant start(int port) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 200);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            TestParticipant participant = new TestParticipant(server);
            server.createContext("/", participant::handle);
            server.start();
            return participant;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public TestParticipant on(String path, Behaviour behaviour) {
        behaviours.put(path, behaviour);
        return this;
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public List<Call> calls(String path) {
        return calls.stream().filter(c -> c.path().equals(path)).toList();
    }

    public List<Answer> answers() {
        return List.copyOf(answers);
    }

    public List<String> paths() {
        return calls.stream().map(Call::path).toList();
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
    }

    // --- behaviours

    public static Behaviour json(int status, String json) {
        return (n, call) -> new Reply(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    public static Behaviour ok() {
        return json(200, "{}");
    }

    public static Behaviour raw(int status, String contentType, byte[] body, Map<String, String> headers) {
        return (n, call) -> new Reply(status, contentType, body, headers);
    }

    public static Behaviour failFirst(int failures, int status, Behaviour then) {
        return (n, call) -> n <= failures ? json(status, "{\"error\":\"failure " + n + "\"}").reply(n, call) : then.reply(n, call);
    }

    public static Behaviour delayed(Duration delay, Behaviour then) {
        return (n, call) -> {
            Thread.sleep(delay.toMillis());
            return then.reply(n, call);
        };
    }

    /** Answers a repeated Idempotency-Key as it answered the first time, as a well-behaved participant does. */
    public static Behaviour idempotent(Behaviour behaviour) {
        Map<String, Reply> seen = new ConcurrentHashMap<>();
        return (n, call) -> {
            String key = call.header("Idempotency-Key");
            Reply earlier = key == null ? null : seen.get(key);
            if (earlier != null) {
                return earlier;
            }
            Reply reply = behaviour.reply(n, call);
            if (key != null) {
                seen.putIfAbsent(key, reply);
            }
            return reply;
        };
    }

    /**
     * Holds each call until {@code parties} calls have arrived at behaviours sharing this one (or 10 s pass),
     * then answers them all: the way to make sagas hold their first locks at the same time.
     */
    public static Behaviour together(int parties, Behaviour then) {
        CountDownLatch all = new CountDownLatch(parties);
        return (n, call) -> {
            all.countDown();
            all.await(10, java.util.concurrent.TimeUnit.SECONDS);
            return then.reply(n, call);
        };
    }

    /** Answers every path not given a behaviour of its own. */
    public TestParticipant otherwise(Behaviour behaviour) {
        this.fallback = behaviour;
        return this;
    }

    /** Never answers (until the participant is closed). */
    public Behaviour hang() {
        return (n, call) -> {
            released.await();
            return json(503, "{}").reply(n, call);
        };
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getRawPath();
            Call call = new Call(exchange.getRequestMethod(), path, headers, body, exchange.getRequestURI().getRawQuery());
            calls.add(call);
            int n = counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            Reply reply = behaviours.getOrDefault(path, fallback).reply(n, call);
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            if (reply.contentType() != null) {
                exchange.getResponseHeaders().add("Content-Type", reply.contentType());
            }
            exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply.body());
            }
            answers.add(new Answer(call, reply.status()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
