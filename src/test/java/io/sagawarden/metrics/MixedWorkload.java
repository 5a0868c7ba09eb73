package io.sagawarden.metrics;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static io.sagawarden.testing.TestParticipant.json;
import static io.sagawarden.testing.TestParticipant.ok;
import static io.sagawarden.testing.TestParticipant.together;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.StuckSagas;
import io.sagawarden.testing.TestParticipant;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A small workload that makes every saga metric move: completions, a compensation (a step answering 400), a lock
 * wait, a deadlock between two sagas crossing two resources, and a saga its node cannot move (stuck).
 * Run in waves so that every lazily created series is seen first and then seen to grow, as rate() needs.
 */
final class MixedWorkload {

    /** Sagas of one wave that end COMPLETED: two orders, the lock holder and its waiter, the deadlock survivor. */
    static final int COMPLETED_PER_WAVE = 5;
    /** Sagas of one wave that end otherwise: the declined refund and the deadlock victim (both COMPENSATED). */
    static final int FAILED_PER_WAVE = 2;

    private final TestParticipant participant;
    private final AppProcess app;
    private final Db db;

    MixedWorkload(TestParticipant participant, AppProcess app, Db db) {
        this.participant = participant;
        this.app = app;
        this.db = db;
        participant.on("/pay", json(400, "{\"error\": \"card declined\"}"));
    }

    /** A saga its node cannot move (see {@link StuckSagas}): it stops making progress with nothing pending. */
    String startStuckSaga() {
        StuckSagas.ofType(db, "UserRegistrationSaga");
        return submit(aSaga().type("UserRegistrationSaga")
                .step("send-welcome-mail", participant.url("/welcome-mail")).withRetry(1, "PT0.1S"));
    }

    /** Runs one wave and waits until all its sagas ended as expected. */
    void runWave(int wave) {
        String w = "w" + wave;
        List<String> completes = new ArrayList<>();
        List<String> compensates = new ArrayList<>();

        completes.add(submit(order("sku:" + w + "-1", "/reserve")));
        completes.add(submit(order("sku:" + w + "-2", "/reserve")));
        compensates.add(submit(aSaga().type("ProcessRefundSaga")
                .step("hold", participant.url("/hold")).withCompensation(participant.url("/unhold"))
                .step("pay", participant.url("/pay"))));

        // A lock wait: the waiter queues for the SKU while the holder's call is in flight.
        participant.on("/" + w + "/slow-reserve", delayed(Duration.ofMillis(1000), ok()));
        completes.add(submit(order("sku:" + w + "-contended", "/" + w + "/slow-reserve")));
        Eventually.await("the lock holder's call", Duration.ofSeconds(20),
                () -> participant.calls("/" + w + "/slow-reserve").size(), n -> n >= 1);
        completes.add(submit(order("sku:" + w + "-contended", "/reserve")));

        // A deadlock: each saga holds its first account when it asks for the other's.
        TestParticipant.Behaviour both = together(2, ok());
        participant.on("/" + w + "/debit-high", both);
        participant.on("/" + w + "/debit-low", both);
        String survivor = submit(transfer(w + "/debit-high", 7, "account:" + w + "-a", "account:" + w + "-b"));
        String victim = submit(transfer(w + "/debit-low", 2, "account:" + w + "-b", "account:" + w + "-a"));
        completes.add(survivor);
        compensates.add(victim);

        List<String> all = new ArrayList<>(completes);
        all.addAll(compensates);
        String ids = all.stream().map(id -> "'" + id + "'").collect(Collectors.joining(", "));
        Eventually.await("wave " + wave + "'s sagas to end", Duration.ofSeconds(60),
                () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NOT NULL AND id IN (" + ids + ")"),
                n -> n == all.size());
        Map<String, String> outcome = db.rows("SELECT id::text AS id, status || ':' || coalesce(reason, '') AS outcome"
                + " FROM sagas WHERE id IN (" + ids + ")").stream()
                .collect(Collectors.toMap(r -> r.get("id").toString(), r -> r.get("outcome").toString()));
        completes.forEach(id -> assertThat(outcome.get(id)).as("saga %s", id).isEqualTo("COMPLETED:"));
        assertThat(outcome.get(compensates.get(0))).as("the declined refund").isEqualTo("COMPENSATED:STEP_FAILED");
        assertThat(outcome.get(victim)).as("the deadlock victim").isEqualTo("COMPENSATED:DEADLOCK_VICTIM");
        assertThat(completes).hasSize(COMPLETED_PER_WAVE);
        assertThat(compensates).hasSize(FAILED_PER_WAVE);
    }

    private SagaBuilder order(String sku, String reservePath) {
        return aSaga().type("CreateOrderSaga")
                .step("reserve", participant.url(reservePath)).withLock(sku, "EXCLUSIVE")
                .withCompensation(participant.url("/release"))
                .step("ship", participant.url("/ship"));
    }

    private SagaBuilder transfer(String debitPath, int priority, String first, String second) {
        return aSaga().type("TransferSaga").priority(priority)
                .step("debit", participant.url("/" + debitPath)).withLock(first, "EXCLUSIVE")
                .withCompensation(participant.url("/undo-debit"))
                .step("credit", participant.url("/credit")).withLock(second, "EXCLUSIVE");
    }

    private String submit(SagaBuilder saga) {
        HttpResponse<String> response = app.post("/api/v1/sagas", saga.json());
        assertThat(response.statusCode()).as("submitting %s: %s", saga.json(), response.body()).isEqualTo(201);
        return SagaBuilder.parse(response.body()).get("id").asText();
    }
}
