package io.sagawarden.console;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.testing.Chromium;
import io.sagawarden.testing.CrossSitePage;
import io.sagawarden.testing.KeycloakServer;
import io.sagawarden.testing.SecuredProfile;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * The console with security on, in a real Chromium against the real Keycloak: people log in on Keycloak's own page
 * (authorization code flow with PKCE), the console names them, offers the actions their roles allow and hides the
 * rest; the API refuses what the roles do not allow even when the page is bypassed.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class ConsoleLoginBrowserTest {

    private static KeycloakServer keycloak;
    private static Chromium chromium;
    private static WebDriver browser;

    @TestHTTPResource("/")
    URL console;

    @Inject
    Alerts alerts;

    private TestParticipant participant;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeAll
    static void start() {
        keycloak = KeycloakServer.require();
        chromium = Chromium.start();
        browser = chromium.driver();
    }

    @AfterAll
    static void stop() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void participantAndANewBrowserSession() {
        participant = TestParticipant.start();
        participant.on("/hold", participant.hang());
        // Nobody is logged in: neither at Keycloak (its cookies) nor in the console's tab (its session storage).
        browser.get(keycloak.issuer() + "/.well-known/openid-configuration");
        browser.manage().deleteAllCookies();
        browser.get(console + "console/settings");
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        chromium.errors();
    }

    @AfterEach
    void closeParticipant() {
        participant.close();
    }

    @Test
    void otto_logs_in_and_aborts_a_saga_vera_is_offered_no_action_and_the_api_refuses_hers() {
        String first = aliceHoldsASaga();
        String second = aliceHoldsASaga();
        UUID alert = alerts.raise(AlertKind.STUCK, UUID.fromString(second), "held by the test", "it waits for /hold", Map.of())
                .orElseThrow();

        // Otto opens a saga's page, is sent to Keycloak, logs in there and comes back to the page he asked for.
        browser.get(console + "#/sagas/" + first);
        logIn("otto");
        chromium.await("the saga page after the login", d -> d.getCurrentUrl().endsWith("#/sagas/" + first)
                && "RUNNING".equals(d.findElement(By.cssSelector("[data-test=saga-status]")).getText()));
        assertThat(browser.findElement(By.cssSelector("[data-test=who-name]")).getText()).isEqualTo("otto");
        assertThat(browser.findElement(By.cssSelector("[data-test=who-roles]")).getText()).contains("operator");
        assertThat(browser.findElement(By.cssSelector("[data-test=open-banner]")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("operator")).isDisplayed()).as("no name to type: the token names him").isFalse();
        assertThat(browser.findElement(By.cssSelector("[data-test=saga-submitter]")).getText()).isEqualTo("alice");
        chromium.screenshot("console-logged-in.png");

        browser.findElement(By.id("saga-abort")).click();
        browser.switchTo().alert().accept();
        chromium.await("the abort to be confirmed", d -> d.findElement(By.cssSelector("[data-test=action-message]"))
                .getText().contains("Abort requested"));
        List<Map<String, Object>> aborts = asOperator().get("/api/v1/sagas/" + first + "/events").then().statusCode(200)
                .extract().jsonPath().getList("findAll { it.kind == 'ABORT_REQUESTED' }");
        assertThat(aborts).singleElement().satisfies(e -> assertThat(((Map<?, ?>) e.get("detail")).get("by")).isEqualTo("otto"));

        // Otto logs out; the next person to open the console must log in again.
        browser.findElement(By.cssSelector("[data-test=logout]")).click();
        logIn("vera");
        chromium.await("vera's console", d -> "vera".equals(d.findElement(By.cssSelector("[data-test=who-name]")).getText()));

        // Vera may read: the alert is there, without an Acknowledge button; the saga's page has no Abort or Retry.
        By alertRow = By.cssSelector("[data-test=alert-row][data-alert-id='" + alert + "']");
        chromium.await("the alert in vera's overview", d -> d.findElement(alertRow).isDisplayed());
        assertThat(browser.findElement(alertRow).findElements(By.cssSelector("[data-test=ack-button]"))).isEmpty();
        browser.get(console + "#/sagas/" + second);
        chromium.await("the second saga's page", d -> "RUNNING".equals(
                d.findElement(By.cssSelector("[data-test=saga-status]")).getText()));
        assertThat(browser.findElements(By.id("saga-abort"))).isEmpty();
        assertThat(browser.findElements(By.id("saga-retry"))).isEmpty();

        // Bypassing the page with her own token: the API refuses.
        Object status = ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const session = JSON.parse(sessionStorage.getItem('sagaWarden.session'));
                fetch('/api/v1/sagas/' + arguments[0] + '/abort', {method: 'POST',
                  headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + session.access}})
                  .then(r => done(r.status), e => done(String(e)));
                """, second);
        assertThat(status).isEqualTo(403L);
        assertThat(asOperator().get("/api/v1/sagas/" + second + "/events").then().extract().jsonPath().getList("kind"))
                .doesNotContain("ABORT_REQUESTED");
        // The browser reports her refused call; nothing else went wrong (a page without an icon asks for one).
        assertThat(chromium.errors()).as("errors in the browser console")
                .allSatisfy(e -> assertThat(e).containsAnyOf("status of 403", "favicon.ico"))
                .anySatisfy(e -> assertThat(e).contains("/abort").contains("status of 403"));
    }

    @Test
    void a_page_on_another_site_cannot_act_through_a_browser_where_an_operator_is_logged_in() {
        String saga = aliceHoldsASaga();
        browser.get(console + "#/sagas/" + saga);
        logIn("otto");
        chromium.await("the operator's console", d -> "otto".equals(d.findElement(By.cssSelector("[data-test=who-name]")).getText()));

        Map<String, String> tried = CrossSitePage.attack(chromium, participant, console.toString(), saga, "CrossSiteSaga");

        assertThat(tried).containsEntry("jsonAbort", "blocked:TypeError").containsEntry("formsAnswered", "2");
        assertThat(asOperator().get("/api/v1/sagas/" + saga).then().extract().<String>path("status")).isEqualTo("RUNNING");
        assertThat(asOperator().get("/api/v1/sagas/" + saga + "/events").then().extract().jsonPath().getList("kind"))
                .doesNotContain("ABORT_REQUESTED");
        assertThat(asOperator().queryParam("type", "CrossSiteSaga").get("/api/v1/sagas").then().extract().jsonPath()
                .getList("items")).isEmpty();
    }

    private String aliceHoldsASaga() {
        return given().auth().oauth2(keycloak.token("alice")).contentType(ContentType.JSON)
                .body(aSaga().type("ConsoleHeldSaga").step("hold", participant.url("/hold")).withActionTimeout("PT60S").json())
                .post("/api/v1/sagas").then().statusCode(201).extract().path("id");
    }

    private static RequestSpecification asOperator() {
        return given().auth().oauth2(keycloak.token("otto"));
    }

    /** Fills in Keycloak's own login form, as a person would. */
    private void logIn(String user) {
        chromium.await("Keycloak's login page", d -> d.getCurrentUrl().startsWith(keycloak.base().toString())
                && !d.findElements(By.id("username")).isEmpty());
        browser.findElement(By.id("username")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(user);
        browser.findElement(By.id("kc-login")).click();
        chromium.await("back at the console", d -> d.getCurrentUrl().startsWith(console.toString())
                && d.findElement(By.cssSelector("[data-test=who-name]")).isDisplayed());
    }
}
