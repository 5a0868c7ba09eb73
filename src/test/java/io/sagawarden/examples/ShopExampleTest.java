package io.sagawarden.examples;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.sagawarden.testing.Processes;
import io.sagawarden.testing.Sagas;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example shop (deploy/examples/shop), run from source as its own process, against the real service: the demo
 * sagas of docs/participants.md complete, compensate and deadlock as the docs say, and the shop keeps the
 * participant contract when called directly. One shop serves the class (starting it from source takes seconds), so
 * every test compares figures with what they were before it, and calls the shop with keys of its own.
 */
@QuarkusTest
class ShopExampleTest {

    private static final Path EXAMPLE = Path.of("deploy/examples/shop");
    /** Where the docs and the saga files expect the shop; the test's shop has a free port instead. */
    private static final String DOCUMENTED_BASE = "http://127.0.0.1:8070";

    private static Process shop;
    private static String base;

    /** Prefixes the idempotency keys of this test's direct calls. */
    private final String tag = UUID.randomUUID().toString();

    @BeforeAll
    static void startShop() throws IOException {
        int port = Processes.freePort();
        base = "http://127.0.0.1:" + port;
        Path log = Path.of("target", "shop-" + port + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        shop = new ProcessBuilder(java, EXAMPLE.resolve("Shop.java").toString(), "--port", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Processes.awaitReady(shop, "the example shop", URI.create(base + "/state"), Duration.ofSeconds(60), log);
    }

    @AfterAll
    static void stopShop() {
        Processes.stop(shop, Duration.ofSeconds(5));
    }

    @Test
    void the_order_that_completes_is_reserved_charged_and_shipped_exactly_once() {
        JsonPath before = state();
        String id = submit(demo("completes"));

        JsonPath saga = Sagas.awaitEnd(id);
        assertThat(saga.getString("status")).isEqualTo("COMPLETED");
        assertThat(saga.getList("steps.status")).containsExactly("SUCCEEDED", "SUCCEEDED", "SUCCEEDED");
        JsonPath after = state();
        assertThat(change(before, after, "inventory.available", "sku-lamp")).isEqualTo(-2);
        assertThat(change(before, after, "inventory.reserved", "sku-lamp")).isEqualTo(2);
        assertThat(change(before, after, "payments.balances", "acct-ada")).isEqualTo(-60);
        assertThat(after.getInt("shipping.shipped") - before.getInt("shipping.shipped")).isEqualTo(1);
        assertThat(effects(after, "inventory", id)).extracting(e -> e.get("key"), e -> e.get("status"))
                .containsExactly(tuple(id + ":reserve-stock:action", "RESERVED"));
        assertThat(effects(after, "payments", id)).extracting(e -> e.get("key"), e -> e.get("status"))
                .containsExactly(tuple(id + ":charge-payment:action", "CHARGED"));
        assertThat(effects(after, "shipping", id)).extracting(e -> e.get("key"), e -> e.get("status"), e -> e.get("reservationId"))
                .as("the shipment names the reservation the saga passed on from the first step's response")
                .containsExactly(tuple(id + ":ship-order:action", "SHIPPED", saga.getString("steps[0].response.reservationId")));
    }

    @Test
    void the_order_shipping_refuses_is_compensated_newest_first_and_leaves_the_shop_as_it_was() {
        JsonPath before = state();
        String id = submit(demo("compensates"));

        JsonPath saga = Sagas.awaitEnd(id);
        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("reason")).isEqualTo("STEP_FAILED");
        assertThat(saga.getList("steps.status")).containsExactly("SUCCEEDED", "SUCCEEDED", "FAILED");
        assertThat(saga.getList("steps.compensation.status")).containsExactly("COMPENSATED", "COMPENSATED", "NOT_NEEDED");
        assertThat(saga.getString("steps[2].lastError")).contains("422");
        assertThat(compensatedSteps(id)).containsExactly("charge-payment", "reserve-stock");
        JsonPath after = state();
        assertThat(after.getMap("inventory.available")).isEqualTo(before.getMap("inventory.available"));
        assertThat(after.getMap("inventory.reserved")).isEqualTo(before.getMap("inventory.reserved"));
        assertThat(after.getMap("payments.balances")).isEqualTo(before.getMap("payments.balances"));
        assertThat(after.getInt("shipping.shipped")).isEqualTo(before.getInt("shipping.shipped"));
        assertThat(effects(after, "inventory", id)).extracting(e -> e.get("status")).containsExactly("RELEASED");
        assertThat(effects(after, "payments", id)).extracting(e -> e.get("status")).containsExactly("REFUNDED");
        assertThat(effects(after, "shipping", id)).isEmpty();
    }

    @Test
    void the_two_orders_that_take_stock_and_account_in_opposite_order_deadlock_and_the_lower_priority_one_gives_way() {
        JsonPath before = state();
        String a = submit(demo("deadlock-a"));
        String b = submit(demo("deadlock-b"));

        JsonPath victim = Sagas.awaitEnd(b);
        JsonPath winner = Sagas.awaitEnd(a);
        assertThat(winner.getString("status")).isEqualTo("COMPLETED");
        assertThat(victim.getString("status")).isEqualTo("COMPENSATED");
        assertThat(victim.getString("reason")).isEqualTo("DEADLOCK_VICTIM");
        assertThat(victim.getList("steps.status")).containsExactly("SUCCEEDED", "SKIPPED");
        String deadlock = given().get("/api/v1/deadlocks?limit=500").then().statusCode(200).extract().jsonPath()
                .getString("items.find { it.victim.sagaId == '" + b + "' }.id");
        assertThat(deadlock).as("the deadlock record whose victim is " + b).isNotNull();
        JsonPath cycle = given().get("/api/v1/deadlocks/" + deadlock).then().statusCode(200).extract().jsonPath();
        assertThat(cycle.getList("cycle.waiter")).containsExactlyInAnyOrder(a, b);
        assertThat(cycle.getList("cycle.resource")).containsExactlyInAnyOrder("sku:sku-desk", "account:acct-ada");
        JsonPath after = state();
        assertThat(change(before, after, "inventory.available", "sku-desk")).isEqualTo(-1);
        assertThat(change(before, after, "payments.balances", "acct-ada")).as("the victim's charge was refunded").isEqualTo(-250);
        assertThat(effects(after, "payments", b)).extracting(e -> e.get("status")).containsExactly("REFUNDED");
        assertThat(effects(after, "payments", a)).extracting(e -> e.get("status")).containsExactly("CHARGED");
        assertThat(effects(after, "inventory", b)).isEmpty();
        assertThat(effects(after, "inventory", a)).extracting(e -> e.get("status")).containsExactly("RESERVED");
    }

    @Test
    void a_repeated_idempotency_key_gets_the_first_answer_and_applies_nothing_again() {
        JsonPath before = state();
        Response first = write("/inventory/reserve", tag + ":reserve:action", "{\"sku\": \"sku-lamp\", \"qty\": 3}");
        Response again = write("/inventory/reserve", tag + ":reserve:action", "{\"sku\": \"sku-lamp\", \"qty\": 5}");

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(again.asString()).isEqualTo(first.asString());
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        JsonPath after = state();
        assertThat(change(before, after, "inventory.available", "sku-lamp")).isEqualTo(-3);
        assertThat(effects(after, "inventory", tag)).hasSize(1);
    }

    /** On acct-bob, which no demo saga locks: the tokens here are the test's own. */
    @Test
    void a_write_with_a_stale_fencing_token_is_refused_and_changes_nothing() {
        String charge = "{\"account\": \"acct-bob\", \"amount\": 1}";
        assertThat(write("/payments/charge", tag + ":1:action", charge, "Saga-Fencing-Tokens", "account:acct-bob=42")
                .statusCode()).isEqualTo(201);
        JsonPath before = state();

        Response stale = write("/payments/charge", tag + ":2:action", charge, "Saga-Fencing-Tokens", "account:acct-bob=41");

        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(stale.contentType()).startsWith("application/problem+json");
        assertThat(stale.jsonPath().getString("type")).endsWith(":stale-fencing-token");
        assertThat(state().getMap("payments")).isEqualTo(before.getMap("payments"));
        assertThat(write("/payments/charge", tag + ":3:action", charge, "Saga-Fencing-Tokens", "account:acct-bob=42")
                .statusCode()).as("the holder of the newest token writes again").isEqualTo(201);
        assertThat(write("/payments/charge", tag + ":4:action", charge,
                "Saga-Fencing-Tokens", "account:acct-bob=43,sku:sku-lamp=1").statusCode())
                .as("a token of a resource the write does not change is not compared").isEqualTo(201);
        assertThat(change(before, state(), "payments.balances", "acct-bob")).isEqualTo(-2);
    }

    @Test
    void a_compensation_of_an_action_never_applied_answers_404_and_that_action_is_refused_should_it_arrive() {
        JsonPath before = state();
        Response undo = write("/inventory/release", tag + ":reserve:compensation", "");
        Response late = write("/inventory/reserve", tag + ":reserve:action", "{\"sku\": \"sku-lamp\", \"qty\": 1}");

        assertThat(undo.statusCode()).isEqualTo(404);
        assertThat(late.statusCode()).isEqualTo(409);
        JsonPath after = state();
        assertThat(change(before, after, "inventory.available", "sku-lamp")).isZero();
        assertThat(effects(after, "inventory", tag)).isEmpty();
    }

    @Test
    void a_compensation_undoes_the_action_of_its_own_run_only() {
        JsonPath before = state();
        write("/payments/charge", tag + ":charge:action:run2", "{\"account\": \"acct-ada\", \"amount\": 70}");

        assertThat(write("/payments/refund", tag + ":charge:compensation", "").statusCode()).isEqualTo(404);
        assertThat(change(before, state(), "payments.balances", "acct-ada")).isEqualTo(-70);
        assertThat(write("/payments/refund", tag + ":charge:compensation:run2", "").statusCode()).isEqualTo(200);
        assertThat(change(before, state(), "payments.balances", "acct-ada")).isZero();
        assertThat(write("/payments/refund", tag + ":charge:compensation:run2", "").header("Idempotent-Replayed"))
                .isEqualTo("true");
        assertThat(change(before, state(), "payments.balances", "acct-ada")).isZero();
    }

    @Test
    void a_write_told_to_fail_applies_nothing_and_its_retry_with_the_same_key_gets_a_fresh_try() {
        JsonPath before = state();
        String key = tag + ":charge:action";
        String charge = "{\"account\": \"acct-ada\", \"amount\": 5}";
        assertThat(write("/payments/charge?fail=503", key, charge).statusCode()).isEqualTo(503);
        assertThat(change(before, state(), "payments.balances", "acct-ada")).isZero();

        assertThat(write("/payments/charge?fail=503&failAttempts=2", key, charge, "Saga-Attempt", "2").statusCode())
                .isEqualTo(503);
        assertThat(write("/payments/charge?fail=503&failAttempts=2", key, charge, "Saga-Attempt", "3").statusCode())
                .isEqualTo(201);
        assertThat(change(before, state(), "payments.balances", "acct-ada")).isEqualTo(-5);
    }

    @Test
    void a_write_told_to_be_slow_answers_after_the_delay() {
        long started = System.nanoTime();
        Response slow = write("/shipping/ship?delayMs=700", tag + ":ship:action", "{\"orderId\": \"o-1\", \"country\": \"NL\"}");

        assertThat(slow.statusCode()).isEqualTo(201);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
    }

    @Test
    void a_step_that_fails_twice_is_retried_with_the_same_key_and_charged_once() {
        JsonPath before = state();
        String id = submit(demo("completes").replace("/payments/charge\"", "/payments/charge?fail=503&failAttempts=2\""));

        JsonPath saga = Sagas.awaitEnd(id);
        assertThat(saga.getString("status")).isEqualTo("COMPLETED");
        assertThat(saga.getInt("steps[1].attempts")).isEqualTo(3);
        JsonPath after = state();
        assertThat(change(before, after, "payments.balances", "acct-ada")).isEqualTo(-60);
        assertThat(effects(after, "payments", id)).hasSize(1);
    }

    @Test
    void the_docs_show_the_demo_sagas_and_quote_the_shop_as_they_are() throws IOException {
        String docs = Files.readString(Path.of("docs/participants.md"));
        for (String name : List.of("completes", "compensates", "deadlock-a", "deadlock-b")) {
            assertThat(docs).as("docs/participants.md shows sagas/%s.json", name).contains(demo(name).strip());
        }
        String shop = withoutIndent(Files.readString(EXAMPLE.resolve("Shop.java")));
        Matcher quote = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(docs);
        int quotes = 0;
        for (; quote.find(); quotes++) {
            assertThat(shop).as("Shop.java has the code docs/participants.md quotes").contains(withoutIndent(quote.group(1)));
        }
        assertThat(quotes).isEqualTo(3);
    }

    private static String withoutIndent(String code) {
        return code.lines().map(String::strip).collect(Collectors.joining("\n"));
    }

    private static String demo(String name) {
        try {
            return Files.readString(EXAMPLE.resolve("sagas").resolve(name + ".json"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private String submit(String saga) {
        return given().contentType(ContentType.JSON).body(saga.replace(DOCUMENTED_BASE, base)).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
    }

    private Response write(String path, String key, String body, String... headers) {
        RequestSpecification request = given().header("Idempotency-Key", key).body(body);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return request.post(base + path);
    }

    private JsonPath state() {
        return given().get(base + "/state").then().statusCode(200).extract().jsonPath();
    }

    /** How much one figure of /state, such as the stock of a SKU, changed from {@code before} to {@code after}. */
    private static int change(JsonPath before, JsonPath after, String map, String name) {
        return ((Number) after.getMap(map).get(name)).intValue() - ((Number) before.getMap(map).get(name)).intValue();
    }

    /** The effects a service lists whose idempotency key starts with {@code prefix} (a saga id or a test's tag). */
    private static List<Map<String, Object>> effects(JsonPath state, String service, String prefix) {
        List<Map<String, Object>> all = state.getList(service + ".effects");
        return all.stream().filter(e -> ((String) e.get("key")).startsWith(prefix + ":")).toList();
    }

    private static List<String> compensatedSteps(String id) {
        JsonPath events = given().get("/api/v1/sagas/" + id + "/events").then().statusCode(200).extract().jsonPath();
        return events.getList("findAll { it.kind == 'STEP_COMPENSATED' }.step");
    }
}
