package io.sagawarden.saga;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.sagawarden.recovery.RecoveryMonitor;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.ManualRecoveryProfile;
import io.sagawarden.testing.Sagas;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The overview an operator opens first: how many sagas are where, who waits behind whom, what went wrong lately. */
@QuarkusTest
@TestProfile(ManualRecoveryProfile.class)
class OverviewTest {

    @Inject
    RecoveryMonitor monitor;

    private TestParticipant participant;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void the_overview_counts_sagas_and_shows_the_longest_waits_and_what_lately_failed_compensated_or_was_recovered() {
        String resource = "sku:" + UUID.randomUUID();
        participant.on("/hold", participant.hang());
        participant.on("/refuse", TestParticipant.json(409, "{}"));
        participant.on("/undo-broken", TestParticipant.json(500, "{}"));
        String holder = Sagas.submit(aSaga().type("HolderSaga").step("take", participant.url("/hold"))
                .withLock(resource, "EXCLUSIVE").withActionTimeout("PT60S"));
        Eventually.await("the held call", Duration.ofSeconds(10), () -> participant.calls("/hold").size(), n -> n == 1);
        String waiter = Sagas.submit(aSaga().type("WaiterSaga").priority(3)
                .step("take-too", participant.url("/ok")).withLock(resource, "EXCLUSIVE"));
        Eventually.await("the waiter to wait", Duration.ofSeconds(10), () -> Sagas.view(waiter).getString("status"),
                "WAITING"::equals);
        String compensated = Sagas.submit(aSaga().type("RefusedSaga").step("first", participant.url("/ok"))
                .withCompensation(participant.url("/undo")).step("second", participant.url("/refuse")));
        String failed = Sagas.submit(aSaga().type("BrokenUndoSaga").step("first", participant.url("/ok"))
                .withCompensation(participant.url("/undo-broken")).step("second", participant.url("/refuse")));
        assertThat(Sagas.awaitEnd(compensated).getString("status")).isEqualTo("COMPENSATED");
        assertThat(Sagas.awaitEnd(failed).getString("status")).isEqualTo("FAILED");
        // Six minutes on, the holder's participant has been silent too long: the monitor runs its step again.
        assertThat(monitor.runOnce(Instant.now().plus(Duration.ofMinutes(6))).retried()).isGreaterThanOrEqualTo(1);

        JsonPath overview = given().get("/api/v1/overview").then().statusCode(200).extract().jsonPath();

        Map<String, Integer> counts = overview.getMap("counts");
        assertThat(counts).containsOnlyKeys("PENDING", "RUNNING", "WAITING", "COMPENSATING", "COMPLETED", "COMPENSATED", "FAILED");
        assertThat(counts.get("RUNNING")).isGreaterThanOrEqualTo(1);
        assertThat(counts.get("WAITING")).isGreaterThanOrEqualTo(1);
        assertThat(counts.get("FAILED")).isGreaterThanOrEqualTo(1);
        assertThat(counts.get("COMPENSATED")).isGreaterThanOrEqualTo(1);
        assertThat(Instant.parse(overview.getString("recentSince")))
                .isEqualTo(Instant.parse(overview.getString("at")).minus(Duration.ofHours(24)));

        Map<String, Object> wait = overview.<Map<String, Object>>getList("waiting").stream()
                .filter(w -> waiter.equals(w.get("sagaId"))).findFirst().orElseThrow();
        assertThat(wait).containsEntry("type", "WaiterSaga").containsEntry("priority", 3).containsEntry("step", "take-too")
                .containsEntry("resource", resource).containsEntry("mode", "EXCLUSIVE").containsEntry("position", 1)
                .containsEntry("blockedBy", List.of(holder)).containsEntry("blockedByCount", 1);
        assertThat(Duration.parse((String) wait.get("waited"))).isPositive();
        assertThat(Sagas.view(waiter).getString("nextAttemptAt")).as("it runs when a release wakes it, not at a time").isNull();

        assertThat(overview.<Map<String, Object>>getList("recentlyFailed")).anySatisfy(s -> assertThat(s)
                .containsEntry("sagaId", failed).containsEntry("type", "BrokenUndoSaga").containsEntry("status", "FAILED")
                .containsEntry("reason", "COMPENSATION_FAILED"));
        assertThat(overview.<Map<String, Object>>getList("recentlyCompensated")).anySatisfy(s -> assertThat(s)
                .containsEntry("sagaId", compensated).containsEntry("reason", "STEP_FAILED"));
        assertThat(overview.<Map<String, Object>>getList("recovered")).anySatisfy(s -> assertThat(s)
                .containsEntry("sagaId", holder).containsEntry("type", "HolderSaga").containsEntry("kind", "STUCK_RECOVERY_RETRY")
                .containsEntry("cause", "PARTICIPANT_SILENT").containsEntry("recoveries", 1));
        assertThat(overview.<String>getList("recentlyCompensated.endedAt")).as("newest first")
                .isSortedAccordingTo((a, b) -> b.compareTo(a));
    }
}
