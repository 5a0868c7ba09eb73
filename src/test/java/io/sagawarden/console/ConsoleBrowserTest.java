package io.sagawarden.console;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.recovery.RecoveryMonitor;
import io.sagawarden.testing.Chromium;
import io.sagawarden.testing.CrossSitePage;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.ManualRecoveryProfile;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The operator console in a real headless Chromium: an operator sees a long-running saga's alert and a stuck
 * saga with its cause, acknowledges the alert, opens a deadlock's picture and a saga's page. The browser and
 * its driver are the system's (Debian chromium, chromium-driver); nothing is downloaded. Security is off here, as in
 * dev mode: the console says so, and asks for the operator's name.
 */
@QuarkusTest
@TestProfile(ManualRecoveryProfile.class)
class ConsoleBrowserTest {

    private static final Duration WAIT = Chromium.WAIT;
    private static final Set<String> TERMINAL = Set.of("COMPLETED", "COMPENSATED", "FAILED");
    private static final String HOSTILE_LABEL = "<img src=x onerror=\"document.title='pwned'\">";

    private static Chromium chromium;
    private static WebDriver browser;

    @TestHTTPResource("/")
    URL console;

    @Inject
    RecoveryMonitor monitor;

    private TestParticipant participant;
    private String tag;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeAll
    static void startBrowser() {
        chromium = Chromium.start();
        browser = chromium.driver();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        participant.otherwise(delayed(Duration.ofMillis(300), TestParticipant.ok()));
        tag = UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void an_operator_acknowledges_an_alert_sees_a_stuck_saga_opens_a_deadlock_picture_and_a_saga_page() throws IOException {
        String slow = aSlowRegistrationThatStopsMoving();
        Deadlock deadlock = aDeadlockBetweenAnOrderAndARefund();

        open("");
        assertThat(browser.findElement(By.cssSelector("[data-test=open-banner]")).getText()).contains("Security is off");
        assertThat(browser.findElement(By.cssSelector("[data-test=who]")).isDisplayed()).isFalse();
        typeOperatorName("console-test");

        // The alert is listed, and the stuck saga with the cause the monitor found.
        By longRunning = By.cssSelector("[data-test=alert-row][data-saga-id='" + slow + "'][data-kind=LONG_RUNNING]");
        WebElement row = await("the LONG_RUNNING alert row", d -> d.findElement(longRunning));
        assertThat(row.getAttribute("data-state")).isEqualTo("OPEN");
        assertThat(row.getText()).contains("UserRegistrationSaga").contains("is running long");
        String alertId = row.getAttribute("data-alert-id");
        WebElement stuck = await("the stuck saga", d -> d.findElement(By.cssSelector("[data-test=stuck-row][data-saga-id='" + slow + "']")));
        assertThat(stuck.findElement(By.cssSelector("[data-test=stuck-cause]")).getText()).isEqualTo("PARTICIPANT_SILENT");
        assertThat(stuck.getText()).contains("send-welcome");
        chromium.screenshot("console-overview.png");

        // Acknowledge: the row shows it at once, and the API agrees, naming the operator.
        await("the acknowledge button", d -> d.findElement(longRunning).findElement(By.cssSelector("[data-test=ack-button]"))).click();
        await("the row to show ACKNOWLEDGED", d -> "ACKNOWLEDGED".equals(d.findElement(longRunning).getAttribute("data-state"))
                && d.findElement(longRunning).findElement(By.cssSelector("[data-test=alert-state]")).getText().equals("ACKNOWLEDGED")
                && d.findElement(longRunning).findElements(By.cssSelector("[data-test=ack-button]")).isEmpty());
        JsonPath acknowledged = given().queryParam("state", "ACKNOWLEDGED").queryParam("limit", 500).get("/api/v1/alerts")
                .then().statusCode(200).extract().jsonPath();
        assertThat(acknowledged.getList("items.id")).contains(alertId);
        assertThat(acknowledged.getString("items.find { it.id == '" + alertId + "' }.acknowledgedBy")).isEqualTo("console-test");

        // The deadlock, from the overview's list to its picture: two sagas, two arrows, the victim marked.
        By deadlockRow = By.cssSelector("[data-test=deadlock-row][data-deadlock-id='" + deadlock.id() + "']");
        await("the deadlock row", d -> d.findElement(deadlockRow).findElement(By.cssSelector("[data-test=deadlock-link]"))).click();
        await("the deadlock route", d -> d.getCurrentUrl().endsWith("#/deadlocks/" + deadlock.id()));
        WebElement picture = await("the deadlock picture", d -> d.findElement(By.cssSelector("svg[data-test=deadlock-svg]")));
        List<WebElement> nodes = picture.findElements(By.cssSelector("[data-test=graph-node]"));
        assertThat(nodes).extracting(n -> n.getAttribute("data-saga-id")).containsExactlyInAnyOrder(deadlock.victim(), deadlock.survivor());
        assertThat(picture.findElements(By.cssSelector("[data-test=graph-node][data-victim=true]")))
                .singleElement().satisfies(v -> {
                    assertThat(v.getAttribute("data-saga-id")).isEqualTo(deadlock.victim());
                    assertThat(v.getAttribute("class")).contains("victim");
                    assertThat(v.getDomProperty("textContent")).contains("ProcessRefundSaga").contains("VICTIM");
                });
        assertThat(picture.getDomProperty("textContent")).contains("CreateOrderSaga").contains("sku:42-" + tag).contains("account:7-" + tag);
        assertThat(picture.findElements(By.cssSelector("[data-test=graph-edge]"))).hasSize(2)
                .allSatisfy(e -> assertThat(e.getAttribute("data-kind")).isEqualTo("HARD"));
        assertThat(browser.findElement(By.cssSelector("[data-test=deadlock-text]")).getText())
                .contains("saga " + deadlock.victim() + " (ProcessRefundSaga, priority 1) waits for EXCLUSIVE");
        Path png = Path.of("target", "console-deadlock.png");
        Files.write(png, picture.findElement(By.xpath("./ancestor::figure")).getScreenshotAs(OutputType.BYTES));
        assertThat(Files.size(png)).isGreaterThan(5_000);

        // From the picture to the victim's page: its steps, their compensation, its history.
        browser.findElement(By.cssSelector("[data-test=victim-link]")).click();
        await("the victim's page", d -> d.findElement(By.cssSelector("[data-test=saga-status]")).getText().equals("COMPENSATED"));
        assertThat(browser.findElement(By.cssSelector("[data-test=saga-reason]")).getText()).isEqualTo("DEADLOCK_VICTIM");
        List<WebElement> steps = browser.findElements(By.cssSelector("[data-test=step-row]"));
        assertThat(steps).extracting(s -> s.getAttribute("data-step")).containsExactly("take-account", "take-sku");
        assertThat(steps).extracting(s -> s.findElement(By.cssSelector("[data-test=step-status]")).getText())
                .containsExactly("SUCCEEDED", "SKIPPED");
        assertThat(steps.getFirst().findElement(By.cssSelector("[data-test=compensation-status]")).getText()).isEqualTo("COMPENSATED");
        assertThat(browser.findElements(By.cssSelector("[data-test=event-row]"))).extracting(e -> e.getAttribute("data-kind"))
                .contains("DEADLOCK_VICTIM", "COMPENSATED");
        assertThat(browser.findElements(By.cssSelector("[data-test=event-at]"))).extracting(WebElement::getText)
                .as("event times to the millisecond, with the zone").isNotEmpty()
                .allMatch(t -> t.matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} UTC([+-]\\d{2}:\\d{2})?"));
        assertThat(browser.findElements(By.id("saga-retry"))).as("retry of a compensated saga, which the API refuses").isEmpty();
        assertThat(browser.findElements(By.id("saga-abort"))).as("abort of an ended saga").isEmpty();

        // A deep link to the slow saga: running, its lock with the fencing token, and its hostile label as text.
        open("#/sagas/" + slow);
        await("the slow saga's page", d -> d.findElement(By.cssSelector("[data-test=saga-status]")).getText().equals("RUNNING"));
        await("its steps", d -> d.findElements(By.cssSelector("[data-test=step-row]")).size() == 2);
        assertThat(browser.findElements(By.cssSelector("[data-test=step-status]"))).extracting(WebElement::getText)
                .containsExactly("SUCCEEDED", "RUNNING");
        WebElement lock = await("its lock", d -> d.findElement(By.cssSelector("[data-test=lock-row]")));
        assertThat(lock.getText()).contains("user:alice-" + tag).contains("EXCLUSIVE").containsPattern("\\d+");
        assertThat(browser.findElement(By.id("saga-head")).getText()).contains(HOSTILE_LABEL);
        assertThat(browser.findElements(By.cssSelector("main img"))).isEmpty();
        assertThat(browser.getTitle()).doesNotContain("pwned");
        chromium.screenshot("console-saga.png");

        // Search by type: refresh pauses while the operator types, and the saga is found.
        open("#/sagas");
        WebElement type = await("the search form", d -> d.findElement(By.id("search-type")));
        type.sendKeys("UserRegistrationSaga");
        await("refresh to pause while typing", d -> "true".equals(d.findElement(By.id("refresh-status")).getAttribute("data-paused")));
        type.sendKeys(Keys.ENTER);
        await("the search result", d -> d.getCurrentUrl().contains("type=UserRegistrationSaga")
                && !d.findElements(By.cssSelector("[data-test=saga-row][data-saga-id='" + slow + "']")).isEmpty());

        assertThat(chromium.errors()).as("errors in the browser console").isEmpty();
    }

    @Test
    void a_page_on_another_site_cannot_act_through_the_browser_even_with_security_off() {
        participant.on("/hold", participant.hang());
        String saga = submit(aSaga().type("CrossSiteTarget").step("hold", participant.url("/hold")).withActionTimeout("PT60S"));
        open("#/sagas/" + saga);

        Map<String, String> tried = CrossSitePage.attack(chromium, participant, console.toString(), saga, "CrossSiteSaga");

        assertThat(tried).as("what the browser let the page send").containsEntry("plainTextSaga", "sent:opaque")
                .containsEntry("untypedAbort", "sent:opaque").containsEntry("jsonAbort", "blocked:TypeError")
                .containsEntry("formsAnswered", "2");
        assertThat(given().get("/api/v1/sagas/" + saga).then().extract().<String>path("status")).isEqualTo("RUNNING");
        assertThat(given().get("/api/v1/sagas/" + saga + "/events").then().extract().jsonPath().getList("kind"))
                .doesNotContain("ABORT_REQUESTED");
        assertThat(given().queryParam("type", "CrossSiteSaga").get("/api/v1/sagas").then().extract().jsonPath()
                .getList("items")).isEmpty();
    }

    /**
     * A registration whose welcome mail never answers: the monitor, three minutes on, warns that it runs long
     * (UserRegistrationSaga is expected within 2 minutes); six minutes on, it is stuck with a silent participant.
     */
    private String aSlowRegistrationThatStopsMoving() {
        participant.on("/welcome", participant.hang());
        String id = submit(aSaga().type("UserRegistrationSaga").label("tenant", "acme").label("note", HOSTILE_LABEL)
                .step("create-user", participant.url("/users")).withLock("user:alice-" + tag, "EXCLUSIVE")
                .withCompensation(participant.url("/users/delete"))
                .step("send-welcome", participant.url("/welcome")).withActionTimeout("PT60S"));
        Eventually.await("the welcome call", WAIT, () -> participant.calls("/welcome").size(), n -> n >= 1);
        assertThat(monitor.runOnce(Instant.now().plus(Duration.ofMinutes(3))).longRunning()).isGreaterThanOrEqualTo(1);
        assertThat(monitor.runOnce(Instant.now().plus(Duration.ofMinutes(6))).stuck()).isGreaterThanOrEqualTo(1);
        return id;
    }

    private record Deadlock(String id, String victim, String survivor) {
    }

    /** An order and a refund take a SKU and an account in opposite order; the refund (priority 1) gives way. */
    private Deadlock aDeadlockBetweenAnOrderAndARefund() {
        TestParticipant.Behaviour together = TestParticipant.together(2, TestParticipant.ok());
        participant.on("/CreateOrderSaga/1", together);
        participant.on("/ProcessRefundSaga/1", together);
        String order = submit(crossing("CreateOrderSaga", 5, "sku:42-" + tag, "account:7-" + tag));
        String refund = submit(crossing("ProcessRefundSaga", 1, "account:7-" + tag, "sku:42-" + tag));
        for (String id : List.of(order, refund)) {
            Eventually.await("saga " + id + " to end", Duration.ofSeconds(30),
                    () -> given().get("/api/v1/sagas/" + id).then().extract().path("status"), TERMINAL::contains);
        }
        List<Map<String, Object>> deadlocks = given().queryParam("limit", 500).get("/api/v1/deadlocks").then().statusCode(200)
                .extract().path("items");
        String id = deadlocks.stream().filter(d -> refund.equals(((Map<?, ?>) d.get("victim")).get("sagaId"))).findFirst()
                .orElseThrow(() -> new AssertionError("no deadlock with victim " + refund)).get("id").toString();
        return new Deadlock(id, refund, order);
    }

    private SagaBuilder crossing(String type, int priority, String first, String second) {
        return aSaga().type(type).priority(priority)
                .step("take-" + first.substring(0, first.indexOf(':')), participant.url("/" + type + "/1")).withLock(first, "EXCLUSIVE")
                .withCompensation(participant.url("/" + type + "/undo-1"))
                .step("take-" + second.substring(0, second.indexOf(':')), participant.url("/" + type + "/2")).withLock(second, "EXCLUSIVE")
                .withCompensation(participant.url("/" + type + "/undo-2"));
    }

    private static String submit(SagaBuilder saga) {
        return given().contentType(ContentType.JSON).body(saga.json()).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
    }

    private void open(String hash) {
        browser.get(console.toString() + hash);
        await("the console to load", d -> "true".equals(d.findElement(By.id("view")).getAttribute("data-loaded")));
    }

    private void typeOperatorName(String name) {
        WebElement operator = browser.findElement(By.id("operator-name"));
        operator.clear();
        operator.sendKeys(name, Keys.TAB);
    }

    private static <T> T await(String what, Function<WebDriver, T> condition) {
        return chromium.await(what, condition);
    }
}
