/*
 * An example Saga Warden participant: a small shop of three services (inventory, payments, shipping) in one
 * process, written with the JDK alone so that it runs from source:
 *
 *   java deploy/examples/shop/Shop.java [--port 8070] [--bind 127.0.0.1]      (or SHOP_PORT, SHOP_BIND)
 *
 * It keeps the participant contract of docs/participants.md, and each rule lives in one place:
 *   - Participant.act    a repeated Idempotency-Key gets the first answer and applies nothing again;
 *   - Participant.undo   a compensation finds its action by its own key and answers 404 when it was never applied;
 *   - Participant.fence  a write whose Saga-Fencing-Tokens carry a lower token than one already seen is refused.
 * Any write can be told to be slow (?delayMs=2000) or to fail (?fail=503, optionally only &failAttempts=2).
 * GET /state shows stock, balances, shipments and the effects ledger. State is in memory: a restart forgets it.
 */

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class Shop {

    /**
     * How many idempotency keys, effects and fenced resources each service remembers; the least recently used are
     * forgotten first. A key must outlive every retry of its call: with Saga Warden's defaults that is minutes (a
     * compensation's ten attempts span up to about ten minutes). 20,000 keys last ten minutes at 30 writes a second
     * per service, far more than a demo makes, in about 22 MB per service (a write costs about 1.1 KB: its key,
     * answer, effect and token). A real service keeps them in its database, written in the same transaction as the
     * effect, since a forgotten effect cannot be compensated.
     */
    static final int REMEMBERED = 20_000;
    /** Longest body read: the shop's requests are a few fields; anything larger is refused before it is held. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** Saga Warden's keys are a saga id, a step name (at most 100 characters) and a suffix. */
    static final int MAX_KEY_LENGTH = 300;
    static final int MAX_DELAY_MS = 60_000;
    /** /state lists the most recent entries only, so its answer stays small however long the shop runs. */
    static final int SHOWN = 100;

    public static void main(String[] args) throws IOException {
        Map<String, String> options = options(args);
        int port = Integer.parseInt(options.getOrDefault("port", env("SHOP_PORT", "8070")));
        String bind = options.getOrDefault("bind", env("SHOP_BIND", "127.0.0.1"));

        Inventory inventory = new Inventory();
        Payments payments = new Payments();
        Shipping shipping = new Shipping();
        Map<String, Function<Call, Answer>> writes = Map.of(
                "/inventory/reserve", inventory::reserve, "/inventory/release", inventory::release,
                "/payments/charge", payments::charge, "/payments/refund", payments::refund,
                "/shipping/ship", shipping::ship, "/shipping/cancel", shipping::cancel);
        Supplier<Object> state = () -> obj("inventory", inventory.state(), "payments", payments.state(),
                "shipping", shipping.state());

        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 0);
        } catch (BindException e) {
            System.err.println("cannot listen on " + bind + ":" + port + " (" + e.getMessage() + "); choose another with --port");
            System.exit(1);
            return;
        }
        // A slow write (?delayMs) sleeps on its own virtual thread and holds up nobody else.
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> serve(exchange, writes, state));
        server.start();
        System.out.println("shop listening on http://" + bind + ":" + server.getAddress().getPort());
    }

    // ---- HTTP: one request in, one answer out, one log line ----

    static void serve(HttpExchange exchange, Map<String, Function<Call, Answer>> writes, Supplier<Object> state) {
        long started = System.nanoTime();
        Answer answer;
        try {
            answer = route(exchange, writes, state);
        } catch (Refused refused) {
            answer = refused.answer;
        } catch (RuntimeException | IOException e) {
            answer = problem(500, "internal", String.valueOf(e));
        }
        try (exchange) {
            byte[] body = (answer.body() + "\n").getBytes(StandardCharsets.UTF_8); // a line of its own in a terminal
            exchange.getResponseHeaders().set("Content-Type", answer.status() < 400 ? "application/json"
                    : "application/problem+json");
            if (answer.replayed()) {
                exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
            }
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
        } catch (IOException e) {
            // The caller went away (for example its timeout passed); the answer is still remembered for its retry.
        }
        var headers = exchange.getRequestHeaders();
        System.out.printf("%s %s %s key=%s attempt=%s -> %d%s (%d ms)%n",
                LocalTime.now().truncatedTo(ChronoUnit.MILLIS), exchange.getRequestMethod(), exchange.getRequestURI(),
                orDash(headers.getFirst("Idempotency-Key")), orDash(headers.getFirst("Saga-Attempt")), answer.status(),
                answer.replayed() ? " replayed" : "", (System.nanoTime() - started) / 1_000_000);
    }

    static Answer route(HttpExchange exchange, Map<String, Function<Call, Answer>> writes, Supplier<Object> state)
            throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (path.equals("/state")) {
            requireMethod(method, "GET", exchange);
            return Answer.json(200, state.get());
        }
        Function<Call, Answer> write = writes.get(path);
        if (write == null) {
            return problem(404, "not-found", "no endpoint " + path);
        }
        requireMethod(method, "POST", exchange);
        Call call = Call.read(exchange);
        Answer injected = call.obeyControls();
        return injected != null ? injected : write.apply(call);
    }

    static void requireMethod(String method, String allowed, HttpExchange exchange) {
        if (!method.equals(allowed)) {
            exchange.getResponseHeaders().set("Allow", allowed);
            throw new Refused(problem(405, "method-not-allowed", "use " + allowed));
        }
    }

    /** One write as the shop sees it: the saga headers, the controls in the query and the JSON body. */
    record Call(String key, int attempt, Map<String, Long> tokens, Map<String, String> query, Map<String, Object> body) {

        /** The compensation key names its action: {@code <saga>:<step>:compensation[:run<n>]} undoes {@code …:action[:run<n>]}. */
        static final Pattern COMPENSATION_KEY = Pattern.compile("(.+):compensation(:run\\d+)?");

        static Call read(HttpExchange exchange) throws IOException {
            var headers = exchange.getRequestHeaders();
            String key = headers.getFirst("Idempotency-Key");
            if (key == null || key.isBlank() || key.length() > MAX_KEY_LENGTH) {
                throw new Refused(problem(400, "idempotency-key", "every write needs an Idempotency-Key header of "
                        + "1.." + MAX_KEY_LENGTH + " characters: it is what makes a retry safe"));
            }
            String attempt = headers.getFirst("Saga-Attempt");
            return new Call(key, attempt == null ? 1 : number("Saga-Attempt", attempt, 1, Integer.MAX_VALUE),
                    fencingTokens(headers.getFirst("Saga-Fencing-Tokens")), query(exchange.getRequestURI().getRawQuery()),
                    body(exchange.getRequestBody()));
        }

        /** Sleeps as {@code delayMs} asks, then answers the {@code fail} status if told to; null to go on. */
        Answer obeyControls() {
            int delay = number("delayMs", query.getOrDefault("delayMs", "0"), 0, MAX_DELAY_MS);
            int fail = query.containsKey("fail") ? number("fail", query.get("fail"), 400, 599) : 0;
            int failAttempts = number("failAttempts", query.getOrDefault("failAttempts", "0"), 0, Integer.MAX_VALUE);
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            boolean failing = fail != 0 && (failAttempts == 0 || attempt <= failAttempts);
            // An injected failure applies nothing and is not remembered: the retry of the same key gets a fresh try.
            return failing ? problem(fail, "told-to-fail", "this write was told to fail with ?fail=" + fail) : null;
        }

        String actionKey() {
            Matcher m = COMPENSATION_KEY.matcher(key);
            if (!m.matches()) {
                throw new Refused(problem(400, "idempotency-key", "a compensation's Idempotency-Key ends "
                        + "':compensation' (or ':compensation:run<n>'), naming the action it undoes"));
            }
            return m.group(1) + ":action" + (m.group(2) == null ? "" : m.group(2));
        }

        String text(String field) {
            if (body.get(field) instanceof String s && !s.isBlank() && s.length() <= 100) {
                return s;
            }
            throw new Refused(problem(400, "bad-field", "'" + field + "' must be a string of 1..100 characters"));
        }

        int count(String field) {
            if (body.get(field) instanceof BigDecimal n && n.signum() > 0 && n.scale() <= 0
                    && n.compareTo(BigDecimal.valueOf(1_000_000)) <= 0) {
                return n.intValueExact();
            }
            throw new Refused(problem(400, "bad-field", "'" + field + "' must be a whole number of 1..1000000"));
        }

        /**
         * {@code account:7=1041,inv%3D1%2Ca=7}: pairs split at ',' and at their last '=', names percent-decoded (the
         * second resource is {@code inv=1,a}). Saga Warden encodes only '%', ',' and '=', so a '+' is a plus, not
         * the space URLDecoder would make of it.
         */
        static Map<String, Long> fencingTokens(String header) {
            Map<String, Long> tokens = new TreeMap<>();
            if (header == null || header.isBlank()) {
                return tokens;
            }
            for (String pair : header.split(",")) {
                int eq = pair.lastIndexOf('=');
                try {
                    tokens.put(URLDecoder.decode(pair.substring(0, eq).replace("+", "%2B"), StandardCharsets.UTF_8),
                            Long.parseLong(pair.substring(eq + 1)));
                } catch (RuntimeException e) {
                    throw new Refused(problem(400, "fencing-tokens", "Saga-Fencing-Tokens is <resource>=<token>,…"));
                }
            }
            return tokens;
        }

        static Map<String, String> query(String raw) {
            Map<String, String> query = new TreeMap<>();
            for (String pair : raw == null ? new String[0] : raw.split("&")) {
                String[] kv = pair.split("=", 2);
                try {
                    query.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                            kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
                } catch (IllegalArgumentException e) {
                    throw new Refused(problem(400, "bad-parameter", "the query is not well percent-encoded"));
                }
            }
            return query;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> body(InputStream in) throws IOException {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new Refused(problem(413, "too-large", "a body is at most " + MAX_BODY_BYTES + " bytes"));
            }
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.isBlank()) {
                return Map.of(); // compensations have no body: their key says what to undo
            }
            try {
                if (Json.parse(text) instanceof Map<?, ?> object) {
                    return (Map<String, Object>) object;
                }
            } catch (RuntimeException e) {
                // malformed JSON: answered below
            }
            throw new Refused(problem(400, "bad-json", "the body must be a JSON object"));
        }

        static int number(String name, String value, int min, int max) {
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // answered below
            }
            throw new Refused(problem(400, "bad-parameter", name + " must be a whole number in " + min + ".." + max));
        }
    }

    /** An answer: its status, its JSON, and whether it repeats the first answer to the same key. */
    record Answer(int status, String body, boolean replayed) {
        static Answer json(int status, Object body) {
            return new Answer(status, Json.write(body), false);
        }

        Answer asReplay() {
            return new Answer(status, body, true);
        }
    }

    static Answer problem(int status, String code, String detail) {
        return Answer.json(status, obj("type", "urn:shop:problem:" + code, "status", status, "detail", detail));
    }

    /** Stops handling a request with this answer. */
    static final class Refused extends RuntimeException {
        final Answer answer;

        Refused(Answer answer) {
            super(answer.body(), null, false, false);
            this.answer = answer;
        }
    }

    // ---- The participant contract, shared by the three services ----

    /** What an applied action did, found again by its compensation through the action's key. */
    static final class Effect {
        final String key;
        final String id;
        final String resource;
        final Map<String, Object> details;
        String status;

        Effect(String key, String id, String resource, String status, Map<String, Object> details) {
            this.key = key;
            this.id = id;
            this.resource = resource;
            this.status = status;
            this.details = details;
        }
    }

    /**
     * A service's memory and its three rules. act, undo and state are synchronized on the service, and the business
     * work runs inside them: a retry that arrives while its first attempt is being applied waits, then gets its answer.
     */
    abstract static class Participant {
        private final Map<String, Answer> answers = bounded();  // Idempotency-Key -> the first answer
        private final Map<String, Effect> effects = bounded();  // action key -> what it applied
        private final Map<String, Long> fences = bounded();     // resource -> highest fencing token seen
        private final String idPrefix;
        private long lastId;

        Participant(String idPrefix) {
            this.idPrefix = idPrefix;
        }

        /**
         * Runs an action at most once per key. The order matters: a repeated key is answered before anything
         * else (it applies nothing, so a stale token cannot hurt it), then the fence, then the work.
         */
        synchronized Answer act(Call call, String resource, Supplier<Answer> work) {
            Answer first = answers.get(call.key());
            if (first != null) {
                return first.asReplay();
            }
            Answer stale = fence(call, resource);
            if (stale != null) {
                return stale;
            }
            Answer answer = work.get();
            answers.put(call.key(), answer);
            return answer;
        }

        /**
         * Undoes the action of the compensation's own run, at most once. Saga Warden also compensates an action
         * whose outcome it does not know (a timeout), so "never applied" is an expected case: 404, which counts as
         * done. The action's key is then answered ahead, so that the action, should it still arrive, is refused.
         */
        synchronized Answer undo(Call call, Function<Effect, Answer> reverse) {
            Answer first = answers.get(call.key());
            if (first != null) {
                return first.asReplay();
            }
            String actionKey = call.actionKey();
            Effect effect = effects.get(actionKey);
            Answer answer;
            if (effect == null) {
                answers.putIfAbsent(actionKey, problem(409, "compensated", "this action's compensation came first"));
                answer = problem(404, "never-applied", "no action " + actionKey + " was applied here");
            } else {
                Answer stale = fence(call, effect.resource);
                if (stale != null) {
                    return stale;
                }
                answer = reverse.apply(effect);
            }
            answers.put(call.key(), answer);
            return answer;
        }

        /**
         * Tokens only grow per resource, so a lower token than one already seen comes from a saga that has lost
         * the lock since (a request delayed until after it ended). Only the resource this write changes is
         * checked: it is what the write could spoil. The refusal is not remembered, as nothing was applied.
         */
        private Answer fence(Call call, String resource) {
            Long token = call.tokens().get(resource);
            if (token == null) {
                return null; // the saga holds no lock on it: nothing to compare
            }
            Long highest = fences.get(resource);
            if (highest != null && token < highest) {
                return problem(409, "stale-fencing-token", "token " + token + " for " + resource
                        + " is older than " + highest + ", which a later holder of the lock has used");
            }
            fences.put(resource, token);
            return null;
        }

        /** Records the effect of the action being applied, under its key, for its compensation to find. */
        Effect applied(Call call, String resource, String status, Map<String, Object> details) {
            Effect effect = new Effect(call.key(), idPrefix + (++lastId), resource, status, details);
            effects.put(call.key(), effect);
            return effect;
        }

        abstract Map<String, Object> figures();

        synchronized Map<String, Object> state() {
            Map<String, Object> state = figures();
            state.put("effects", newest(effects.values().stream().map(e -> {
                Map<String, Object> shown = obj("key", e.key, "id", e.id, "status", e.status);
                shown.putAll(e.details);
                return shown;
            }).toList()));
            Map<String, Long> tokens = new LinkedHashMap<>();
            newest(List.copyOf(fences.entrySet())).forEach(e -> tokens.put(e.getKey(), e.getValue()));
            state.put("fencingTokens", tokens);
            return state;
        }
    }

    // ---- The three services: their business rules only ----

    static final class Inventory extends Participant {
        private final Map<String, Integer> available = new TreeMap<>(Map.of("sku-lamp", 100, "sku-desk", 100, "sku-chair", 0));
        private final Map<String, Integer> reserved = new TreeMap<>(Map.of("sku-lamp", 0, "sku-desk", 0, "sku-chair", 0));

        Inventory() {
            super("res-");
        }

        Answer reserve(Call call) {
            String sku = call.text("sku");
            int qty = call.count("qty");
            return act(call, "sku:" + sku, () -> {
                Integer left = available.get(sku);
                if (left == null) {
                    return problem(422, "unknown-sku", "no such SKU: " + sku);
                }
                if (left < qty) {
                    return problem(409, "out-of-stock", left + " of " + sku + " left, " + qty + " asked");
                }
                available.put(sku, left - qty);
                reserved.merge(sku, qty, Integer::sum);
                Effect effect = applied(call, "sku:" + sku, "RESERVED", obj("sku", sku, "qty", qty));
                return Answer.json(201, obj("reservationId", effect.id, "sku", sku, "qty", qty));
            });
        }

        Answer release(Call call) {
            return undo(call, effect -> {
                String sku = (String) effect.details.get("sku");
                int qty = (Integer) effect.details.get("qty");
                available.merge(sku, qty, Integer::sum);
                reserved.merge(sku, -qty, Integer::sum);
                effect.status = "RELEASED";
                return Answer.json(200, obj("reservationId", effect.id, "status", effect.status));
            });
        }

        @Override
        Map<String, Object> figures() {
            return obj("available", new TreeMap<>(available), "reserved", new TreeMap<>(reserved));
        }
    }

    static final class Payments extends Participant {
        private final Map<String, Integer> balances = new TreeMap<>(Map.of("acct-ada", 10_000, "acct-bob", 50));

        Payments() {
            super("pay-");
        }

        Answer charge(Call call) {
            String account = call.text("account");
            int amount = call.count("amount");
            return act(call, "account:" + account, () -> {
                Integer balance = balances.get(account);
                if (balance == null) {
                    return problem(422, "unknown-account", "no such account: " + account);
                }
                if (balance < amount) {
                    return problem(402, "insufficient-funds", account + " has " + balance + ", " + amount + " asked");
                }
                balances.put(account, balance - amount);
                Effect effect = applied(call, "account:" + account, "CHARGED", obj("account", account, "amount", amount));
                return Answer.json(201, obj("paymentId", effect.id, "account", account, "amount", amount));
            });
        }

        Answer refund(Call call) {
            return undo(call, effect -> {
                balances.merge((String) effect.details.get("account"), (Integer) effect.details.get("amount"), Integer::sum);
                effect.status = "REFUNDED";
                return Answer.json(200, obj("paymentId", effect.id, "status", effect.status));
            });
        }

        @Override
        Map<String, Object> figures() {
            return obj("balances", new TreeMap<>(balances));
        }
    }

    static final class Shipping extends Participant {
        private int shipped;

        Shipping() {
            super("shp-");
        }

        Answer ship(Call call) {
            String orderId = call.text("orderId");
            String country = call.text("country");
            // Optional: which reservation is packed, filled by the saga from an earlier step's response.
            String reservationId = call.body().containsKey("reservationId") ? call.text("reservationId") : null;
            return act(call, "order:" + orderId, () -> {
                // The one place no carrier goes: a business refusal (4xx), so the saga compensates at once.
                if (country.equals("AQ")) {
                    return problem(422, "undeliverable", "no carrier delivers to Antarctica (AQ)");
                }
                shipped++;
                Effect effect = applied(call, "order:" + orderId, "SHIPPED",
                        obj("orderId", orderId, "country", country, "reservationId", reservationId));
                return Answer.json(201, obj("shipmentId", effect.id, "orderId", orderId, "country", country));
            });
        }

        Answer cancel(Call call) {
            return undo(call, effect -> {
                shipped--;
                effect.status = "CANCELLED";
                return Answer.json(200, obj("shipmentId", effect.id, "status", effect.status));
            });
        }

        @Override
        Map<String, Object> figures() {
            return obj("shipped", shipped);
        }
    }

    // ---- Small helpers ----

    /** A map that forgets its least recently used entries beyond {@link #REMEMBERED}: memory stays bounded. */
    static <K, V> Map<K, V> bounded() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > REMEMBERED;
            }
        };
    }

    static <T> List<T> newest(List<T> all) {
        return all.subList(Math.max(0, all.size() - SHOWN), all.size());
    }

    /** An ordered JSON object from alternating names and values. */
    static Map<String, Object> obj(Object... namesAndValues) {
        Map<String, Object> object = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            object.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return object;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> options = new TreeMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].matches("--(port|bind)") || i + 1 == args.length) {
                System.err.println("usage: java Shop.java [--port 8070] [--bind 127.0.0.1]");
                System.exit(2);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    static String orDash(String value) {
        return value == null ? "-" : value;
    }

    static String env(String name, String otherwise) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? otherwise : value;
    }

    /** Just enough JSON: the JDK has none, and an example participant should need no library. */
    static final class Json {
        private final String text;
        private int at;

        private Json(String text) {
            this.text = text;
        }

        /** Objects become maps, arrays lists, numbers BigDecimal; anything malformed throws a RuntimeException. */
        static Object parse(String text) {
            Json json = new Json(text);
            Object value = json.value();
            json.skipSpace();
            if (json.at != text.length()) {
                throw new IllegalArgumentException("trailing characters at " + json.at);
            }
            return value;
        }

        static String write(Object value) {
            if (value instanceof Map<?, ?> map) {
                List<String> members = new ArrayList<>();
                map.forEach((k, v) -> members.add(quote(String.valueOf(k)) + ":" + write(v)));
                return "{" + String.join(",", members) + "}";
            }
            if (value instanceof Collection<?> list) {
                return "[" + String.join(",", list.stream().map(Json::write).toList()) + "]";
            }
            return value instanceof String s ? quote(s) : String.valueOf(value); // numbers, booleans, null
        }

        private static String quote(String s) {
            StringBuilder out = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else if (c < 0x20) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            return out.append('"').toString();
        }

        private Object value() {
            skipSpace();
            if (at >= text.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            return switch (text.charAt(at)) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> number();
            };
        }

        private Map<String, Object> object() {
            Map<String, Object> object = new LinkedHashMap<>();
            at++;
            if (next('}')) {
                return object;
            }
            do {
                skipSpace();
                String name = string();
                expect(':');
                object.put(name, value());
            } while (next(','));
            expect('}');
            return object;
        }

        private List<Object> array() {
            List<Object> array = new ArrayList<>();
            at++;
            if (next(']')) {
                return array;
            }
            do {
                array.add(value());
            } while (next(','));
            expect(']');
            return array;
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c < 0x20) {
                    throw new IllegalArgumentException("control character in a string");
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = text.charAt(at++);
                switch (e) {
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    case '"', '\\', '/' -> out.append(e);
                    default -> throw new IllegalArgumentException("bad escape \\" + e);
                }
            }
        }

        private BigDecimal number() {
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            try {
                return new BigDecimal(text.substring(start, at));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a JSON value at " + start);
            }
        }

        private Object literal(String word, Object value) {
            if (!text.startsWith(word, at)) {
                throw new IllegalArgumentException("not a JSON value at " + at);
            }
            at += word.length();
            return value;
        }

        private boolean next(char c) {
            skipSpace();
            if (at < text.length() && text.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!next(c)) {
                throw new IllegalArgumentException("expected '" + c + "' at " + at);
            }
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }
    }
}
