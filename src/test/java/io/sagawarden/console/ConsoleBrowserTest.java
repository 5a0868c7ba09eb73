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
import java.util.HashMap;
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
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
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
@TestProfile(ConsoleBrowserTest.WithDemoSagas.class)
class ConsoleBrowserTest {

    /** As dev mode has it: the example shop's demo sagas are on offer. */
    public static class WithDemoSagas extends ManualRecoveryProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("saga.console.demo-sagas", "deploy/examples/shop/sagas");
            return config;
        }
    }

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
    void an_operator_reads_a_sagas_requests_and_calls_runs_it_again_and_the_overview_and_saga_page_fit_a_phone() throws IOException {
        Lately lately = aWaitAFailureACompensationAndARecovery();
        participant.on("/reserve", TestParticipant.failFirst(1, 503, TestParticipant.json(201, "{\"reservationId\": \"r-9\"}")));
        String order = submit(aSaga().type("CreateOrderSaga").payload("{\"orderId\": \"o-" + tag + "\", \"qty\": 2}")
                .step("reserve-stock", participant.url("/reserve")).withRetry(3, "PT30S")
                .withActionHeader("Authorization", "Bearer {{secrets.test-token}}")
                .withActionBody("{\"order\": \"{{payload.orderId}}\", \"qty\": \"{{payload.qty}}\"}")
                .step("charge", participant.url("/charge"))
                .withActionBody("{\"reservation\": \"{{steps.reserve-stock.response.reservationId}}\"}"));

        // The overview: sagas by status, the wait and who is in its way, what lately failed, compensated, was recovered.
        open("");
        await("the status counts", d -> !d.findElements(By.cssSelector("[data-test=status-count][data-status=WAITING]")).isEmpty());
        assertThat(browser.findElements(By.cssSelector("[data-test=status-count]"))).extracting(e -> e.getAttribute("data-status"))
                .containsExactly("PENDING", "RUNNING", "WAITING", "COMPENSATING", "FAILED", "COMPLETED", "COMPENSATED");
        assertThat(Integer.parseInt(browser.findElement(By.cssSelector("[data-test=status-count][data-status=WAITING] .count-number"))
                .getText())).isGreaterThanOrEqualTo(1);
        WebElement wait = await("the waiter's row", d -> d.findElement(By.cssSelector("[data-test=overview-wait-row][data-saga-id='" + lately.waiter() + "']")));
        assertThat(wait.getText()).contains("WaiterSaga").contains("take-too").contains("sku:" + tag).contains("EXCLUSIVE");
        assertThat(wait.findElement(By.cssSelector("[data-test=overview-wait-blockers] a")).getAttribute("href")).endsWith("#/sagas/" + lately.holder());
        assertThat(browser.findElement(By.cssSelector("[data-test=recent-ended-row][data-saga-id='" + lately.failed() + "']")).getText())
                .contains("FAILED").contains("COMPENSATION_FAILED");
        assertThat(browser.findElement(By.cssSelector("[data-test=recent-ended-row][data-saga-id='" + lately.compensated() + "']")).getText())
                .contains("COMPENSATED").contains("STEP_FAILED");
        assertThat(browser.findElement(By.cssSelector("[data-test=recovered-row][data-saga-id='" + lately.holder() + "']")).getText())
                .contains("retry").contains("PARTICIPANT_SILENT");
        assertThat(browser.findElement(By.id("counts-section")).getLocation().getY())
                .as("above the alerts").isLessThan(browser.findElement(By.id("alerts-section")).getLocation().getY());
        chromium.screenshot("console-overview-sagas.png");

        // The order waits out its retry delay: the page says when the next attempt is due, and what was sent.
        open("#/sagas/" + order);
        WebElement next = await("the next attempt", d -> d.findElement(By.cssSelector("[data-test=saga-next-attempt]")));
        assertThat(next.getText()).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} UTC.*");
        assertThat(browser.findElement(By.cssSelector("[data-test=step-next-attempt]")).getText()).startsWith("next attempt");
        assertThat(browser.findElement(By.cssSelector("[data-test=saga-payload]")).getText()).contains("\"orderId\": \"o-" + tag + "\"");
        WebElement firstCall = await("the failed call", d -> d.findElement(By.cssSelector("[data-test=call-row][data-attempt='1']")));
        assertThat(firstCall.getAttribute("data-outcome")).isEqualTo("RETRYABLE");
        assertThat(firstCall.getText()).contains("503");
        assertThat(firstCall.findElement(By.cssSelector("[data-test=call-retry-at]")).getText()).as("when its retry was due")
                .startsWith(next.getText().substring(0, 16));
        WebElement request = browser.findElement(By.cssSelector("[data-test=step-row][data-step=reserve-stock] [data-test=step-request]"));
        assertThat(request.findElement(By.cssSelector("[data-test=step-request-url]")).getText()).isEqualTo(participant.url("/reserve"));
        request.findElement(By.tagName("summary")).click();
        assertThat(request.findElement(By.cssSelector("[data-test=step-request-headers]")).getText())
                .contains("Authorization").contains("Bearer [redacted]").contains("Idempotency-Key").contains(order + ":reserve-stock:action");
        assertThat(request.findElement(By.cssSelector("[data-test=step-request-body]")).getText()).contains("\"qty\": 2");
        assertThat(browser.findElement(By.cssSelector("[data-test=step-row][data-step=charge] [data-test=step-request-note]")).getText())
                .contains("{{steps.reserve-stock.response.reservationId}}");
        assertThat(browser.findElement(By.tagName("body")).getText()).doesNotContain("test-token-4d1f9a");
        assertThat(browser.findElements(By.id("saga-rerun"))).as("a saga still running is not run again").isEmpty();

        // The operator cuts the delay short; the saga completes, its calls and its second step's request filled in.
        browser.findElement(By.id("saga-retry")).click();
        browser.switchTo().alert().accept();
        await("the saga to complete", d -> d.findElement(By.cssSelector("[data-test=saga-status]")).getText().equals("COMPLETED"));
        await("the second call", d -> "SUCCEEDED".equals(d.findElement(By.cssSelector(
                "[data-test=step-row][data-step=reserve-stock] [data-test=call-row][data-attempt='2']")).getAttribute("data-outcome")));
        assertThat(browser.findElements(By.cssSelector("[data-test=step-row][data-step=reserve-stock] [data-test=step-request][open]")))
                .as("the request the operator opened stays open through refreshes").hasSize(1);
        assertThat(browser.findElement(By.cssSelector("[data-test=step-row][data-step=charge] [data-test=step-request-url]")).getText())
                .isEqualTo(participant.url("/charge"));
        assertThat(browser.findElements(By.cssSelector("[data-test=saga-next-attempt]"))).isEmpty();
        scrollTo(By.id("steps-section"));
        chromium.screenshot("console-saga-requests.png");

        // Run again: a new saga, linked to this one; the page goes there.
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
        browser.findElement(By.id("saga-rerun")).click();
        browser.switchTo().alert().accept();
        await("the new saga's page", d -> !d.getCurrentUrl().endsWith(order) && d.getCurrentUrl().contains("#/sagas/")
                && !d.findElements(By.cssSelector("[data-test=saga-rerun-of] a")).isEmpty());
        String copy = browser.getCurrentUrl().substring(browser.getCurrentUrl().lastIndexOf('/') + 1);
        assertThat(browser.findElement(By.cssSelector("[data-test=saga-rerun-of] a")).getAttribute("href")).endsWith("#/sagas/" + order);
        assertThat(given().get("/api/v1/sagas/" + order).then().extract().jsonPath().getList("reruns")).containsExactly(copy);
        await("the copy to complete", d -> d.findElement(By.cssSelector("[data-test=saga-status]")).getText().equals("COMPLETED"));

        // A phone: nothing is wider than the screen, alert texts wrap, the Acknowledge button is in view.
        try {
            browser.manage().window().setSize(new Dimension(390, 844));
            open("");
            await("an acknowledge button", d -> d.findElement(By.cssSelector("[data-test=alert-row][data-saga-id='" + lately.holder()
                    + "'] [data-test=ack-button]")));
            await("the overview's lists", d -> !d.findElements(By.cssSelector("[data-test=overview-wait-row]")).isEmpty());
            assertFitsTheScreen("the overview");
            WebElement ack = browser.findElement(By.cssSelector("[data-test=alert-row][data-saga-id='" + lately.holder()
                    + "'] [data-test=ack-button]"));
            ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'center'})", ack);
            assertThat(ack.isDisplayed()).isTrue();
            assertThat(((Number) ((JavascriptExecutor) browser).executeScript(
                    "const r = arguments[0].getBoundingClientRect(); return r.right <= window.innerWidth && r.left >= 0 ? 1 : 0", ack))
                    .intValue()).as("the Acknowledge button lies within the screen").isEqualTo(1);
            WebElement summary = ack.findElement(By.xpath("./ancestor::tr")).findElement(By.cssSelector("[data-test=alert-summary]"));
            assertThat(summary.getSize().getWidth()).as("the alert's text wraps within the screen").isLessThanOrEqualTo(390);
            chromium.screenshot("console-phone-overview.png");

            open("#/sagas/" + order);
            await("the saga page", d -> d.findElement(By.cssSelector("[data-test=saga-status]")).getText().equals("COMPLETED"));
            assertFitsTheScreen("the saga page");
            scrollTo(By.cssSelector("[data-test=step-row][data-step=reserve-stock] [data-test=step-calls]"));
            chromium.screenshot("console-phone-saga.png");
        } finally {
            browser.manage().window().setSize(new Dimension(1400, 1000));
        }
        assertThat(chromium.errors()).as("errors in the browser console").isEmpty();
    }

    private static void scrollTo(By what) {
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'start'})", browser.findElement(what));
    }

    private void assertFitsTheScreen(String page) {
        Map<?, ?> widths = (Map<?, ?>) ((JavascriptExecutor) browser).executeScript(
                "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth}");
        assertThat(((Number) widths.get("inner")).intValue()).isEqualTo(390);
        assertThat(((Number) widths.get("scroll")).intValue()).as(page + " scrolls sideways").isLessThanOrEqualTo(390);
    }

    private record Lately(String holder, String waiter, String failed, String compensated) {
    }

    /**
     * A saga holds a SKU while its participant stays silent and another waits for it; one saga fails a step and
     * compensates, another's compensation keeps failing. Six minutes on, the monitor runs the silent holder's step again.
     */
    private Lately aWaitAFailureACompensationAndARecovery() {
        participant.on("/hold", participant.hang());
        participant.on("/refuse", TestParticipant.json(409, "{}"));
        participant.on("/undo-broken", TestParticipant.json(500, "{}"));
        String holder = submit(aSaga().type("HolderSaga").step("take", participant.url("/hold"))
                .withLock("sku:" + tag, "EXCLUSIVE").withActionTimeout("PT60S"));
        Eventually.await("the held call", WAIT, () -> participant.calls("/hold").size(), n -> n >= 1);
        String waiter = submit(aSaga().type("WaiterSaga").step("take-too", participant.url("/take")).withLock("sku:" + tag, "EXCLUSIVE"));
        Eventually.await("the waiter to wait", WAIT, () -> given().get("/api/v1/sagas/" + waiter).then().extract().path("status"),
                "WAITING"::equals);
        String compensated = submit(aSaga().type("RefusedSaga").step("first", participant.url("/first"))
                .withCompensation(participant.url("/undo")).step("second", participant.url("/refuse")));
        String failed = submit(aSaga().type("BrokenUndoSaga").step("first", participant.url("/first"))
                .withCompensation(participant.url("/undo-broken")).step("second", participant.url("/refuse")));
        for (String id : List.of(compensated, failed)) {
            Eventually.await("saga " + id + " to end", Duration.ofSeconds(30),
                    () -> given().get("/api/v1/sagas/" + id).then().extract().path("status"), TERMINAL::contains);
        }
        assertThat(monitor.runOnce(Instant.now().plus(Duration.ofMinutes(6))).retried()).isGreaterThanOrEqualTo(1);
        return new Lately(holder, waiter, failed, compensated);
    }

    @Test
    void a_newcomer_submits_the_demo_sagas_from_the_overview() {
        open("");
        for (String demo : List.of("completes", "compensates", "deadlock")) {
            WebElement button = await("the demo " + demo, d -> d.findElement(By.cssSelector("[data-test=demo-" + demo + "]")));
            button.click();
            // The links' targets are read inside the wait, in one look at the page: a page that redraws its
            // content in between leaves no element behind to go stale.
            List<String> links = await("links to the " + demo + " demo's sagas", d -> {
                WebElement result = d.findElement(By.cssSelector("[data-test=demo-result]"));
                List<String> found = result.findElements(By.tagName("a")).stream().map(a -> a.getAttribute("href")).toList();
                return result.getText().contains(demo.equals("deadlock") ? "deadlock" : demo.substring(0, 5))
                        && !found.isEmpty() ? found : null;
            });
            assertThat(links).hasSize(demo.equals("deadlock") ? 2 : 1);
            for (String link : links) {
                String id = link.replaceFirst(".*#/sagas/", "");
                given().get("/api/v1/sagas/" + id).then().statusCode(200)
                        .body("labels.demo", org.hamcrest.Matchers.startsWith(demo));
            }
        }
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
