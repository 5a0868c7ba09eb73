package io.sagawarden.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A ledger participant as a careful service writes one: it de-duplicates on {@code Idempotency-Key} (a repeated
 * key gets the first answer, and nothing is applied twice), finds the action a compensation undoes from the
 * compensation's key (API.md: {@code …:compensation} undoes {@code …:action} of the same run), answers 404 to
 * the undo of an action it never applied, and refuses that action should it arrive after its undo. It can be
 * told to answer 503 for a while. Every applied entry is kept for the audit.
 */
public final class Ledger {

    /** One applied action: which account it moved by how much, and whether it was undone since. */
    public record Entry(String key, String account, long delta, boolean undone) {
    }

    private final Map<String, Long> balances = new TreeMap<>();
    private final Map<String, Entry> entries = new HashMap<>();
    private final Map<String, TestParticipant.Reply> answered = new HashMap<>();
    private final Set<String> cancelled = new HashSet<>();
    private volatile boolean inOutage;
    private volatile long outageUntil;
    /** An outage lasts at least its length, and on until it has refused a call (at most a minute more). */
    private volatile boolean outageRefused;
    private volatile long slowUntil;

    /** Serves {@code /debit}, {@code /credit} and {@code /undo} on the participant. */
    public Ledger serveOn(TestParticipant participant) {
        participant.on("/debit", (n, call) -> action(call, -1));
        participant.on("/credit", (n, call) -> action(call, 1));
        participant.on("/undo", (n, call) -> undo(call));
        return this;
    }

    /**
     * Every call answers 503 for this long, from now, and on until one call has met the outage (at most a minute
     * more): when every saga happens to wait for a lock, an outage of a few seconds would meet nobody.
     */
    public void outage(Duration length) {
        outageRefused = false;
        outageUntil = System.nanoTime() + length.toNanos();
        inOutage = true;
    }

    private boolean down() {
        if (!inOutage) {
            return false;
        }
        long over = System.nanoTime() - outageUntil;
        if (over >= 0 && (outageRefused || over > Duration.ofMinutes(1).toNanos())) {
            inOutage = false;
            return false;
        }
        outageRefused = true;
        return true;
    }

    /** Every action takes a few hundred milliseconds for this long, from now: sagas stay mid-call. */
    public void slow(Duration length) {
        slowUntil = System.currentTimeMillis() + length.toMillis();
    }

    public synchronized Map<String, Long> balances() {
        return new TreeMap<>(balances);
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    private TestParticipant.Reply action(TestParticipant.Call call, int sign) throws InterruptedException {
        boolean slow = System.currentTimeMillis() < slowUntil;
        Thread.sleep(ThreadLocalRandom.current().nextLong(slow ? 200 : 2, slow ? 400 : 20));
        String key = call.header("Idempotency-Key");
        JsonNode body = SagaBuilder.parse(call.body());
        synchronized (this) {
            if (down()) {
                return reply(503, "{\"error\": \"down for maintenance\"}");
            }
            if (answered.containsKey(key)) {
                return answered.get(key);
            }
            TestParticipant.Reply reply;
            if (cancelled.contains(key)) {
                reply = reply(409, "{\"error\": \"undone before it arrived\"}");
            } else if (sign > 0 && body.path("refuse").asBoolean()) {
                reply = reply(422, "{\"error\": \"the account refuses credits\"}");
            } else {
                String account = body.get("account").asText();
                long delta = sign * body.get("amount").asLong();
                balances.merge(account, delta, Long::sum);
                entries.put(key, new Entry(key, account, delta, false));
                reply = reply(200, "{\"entry\": \"" + key + "\"}");
            }
            answered.put(key, reply);
            return reply;
        }
    }

    private synchronized TestParticipant.Reply undo(TestParticipant.Call call) {
        if (down()) {
            return reply(503, "{\"error\": \"down for maintenance\"}");
        }
        String key = call.header("Idempotency-Key");
        if (answered.containsKey(key)) {
            return answered.get(key);
        }
        String action = key.replace(":compensation", ":action");
        Entry entry = entries.get(action);
        TestParticipant.Reply reply;
        if (entry == null) {
            cancelled.add(action);
            reply = reply(404, "{\"error\": \"never applied\"}");
        } else {
            balances.merge(entry.account(), -entry.delta(), Long::sum);
            entries.put(action, new Entry(action, entry.account(), entry.delta(), true));
            reply = reply(200, "{}");
        }
        answered.put(key, reply);
        return reply;
    }

    private static TestParticipant.Reply reply(int status, String json) {
        return new TestParticipant.Reply(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
