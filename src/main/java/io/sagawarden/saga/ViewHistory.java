package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * What the saga view takes from the history: each step's participant calls, attempt by attempt and run by run, with
 * when a retry was due after each; and the links of a saga run again to its copies. Plain Java over the events.
 */
public final class ViewHistory {

    /** The kinds it reads; the rest of the history is the events endpoint's. */
    public static final List<String> KINDS = List.of(SagaEvent.Kind.SUBMITTED.name(), SagaEvent.Kind.RERUN_SUBMITTED.name(),
            SagaEvent.Kind.RESTARTED.name(), SagaEvent.Kind.ACTION_CALLED.name(), SagaEvent.Kind.COMPENSATION_CALLED.name(),
            SagaEvent.Kind.STEP_RETRY_SCHEDULED.name(), SagaEvent.Kind.COMPENSATION_RETRY_SCHEDULED.name());
    /** Calls listed per step: a saga restarted ten times with a hundred attempts a run would list a thousand. */
    public static final int MAX_CALLS_SHOWN = 50;

    /** A step's calls, the newest {@link #MAX_CALLS_SHOWN}, and how many older ones were left out. */
    public record Calls(List<SagaView.Call> shown, int omitted) {
        static final Calls NONE = new Calls(List.of(), 0);
    }

    private final Map<String, Calls> calls;
    private final UUID rerunOf;
    private final List<UUID> reruns;

    private ViewHistory(Map<String, Calls> calls, UUID rerunOf, List<UUID> reruns) {
        this.calls = calls;
        this.rerunOf = rerunOf;
        this.reruns = reruns;
    }

    /** {@code events}: the saga's events of {@link #KINDS}, oldest first. */
    public static ViewHistory of(List<EventView> events) {
        Map<String, List<SagaView.Call>> byStep = new HashMap<>();
        UUID rerunOf = null;
        List<UUID> reruns = new ArrayList<>();
        int run = 1;
        for (EventView e : events) {
            JsonNode d = e.detail();
            switch (SagaEvent.Kind.valueOf(e.kind())) {
                case SUBMITTED -> rerunOf = uuid(d, "rerunOf");
                case RERUN_SUBMITTED -> reruns.add(uuid(d, "sagaId"));
                case RESTARTED -> run = d.path("run").asInt(run + 1);
                case ACTION_CALLED, COMPENSATION_CALLED -> byStep.computeIfAbsent(e.step(), s -> new ArrayList<>())
                        .add(new SagaView.Call(e.kind().equals("ACTION_CALLED") ? "action" : "compensation", run,
                                d.path("attempt").asInt(), e.at(), d.hasNonNull("status") ? d.get("status").asInt() : null,
                                d.hasNonNull("durationMs") ? d.get("durationMs").asLong() : null,
                                d.path("outcome").asText(null), d.path("error").asText(null), null));
                case STEP_RETRY_SCHEDULED, COMPENSATION_RETRY_SCHEDULED -> retryScheduled(byStep.get(e.step()),
                        e.kind().equals("STEP_RETRY_SCHEDULED") ? "action" : "compensation", e, d);
                default -> {
                }
            }
        }
        Map<String, Calls> calls = new HashMap<>();
        byStep.forEach((step, list) -> calls.put(step, list.size() <= MAX_CALLS_SHOWN ? new Calls(list, 0)
                : new Calls(list.subList(list.size() - MAX_CALLS_SHOWN, list.size()), list.size() - MAX_CALLS_SHOWN)));
        return new ViewHistory(calls, rerunOf, reruns.stream().filter(Objects::nonNull).toList());
    }

    /** The retry after a call is recorded in the same move, right after it: it belongs to the step's last call. */
    private static void retryScheduled(List<SagaView.Call> calls, String kind, EventView e, JsonNode d) {
        if (calls == null || calls.isEmpty()) {
            return;
        }
        SagaView.Call last = calls.getLast();
        if (last.kind().equals(kind) && last.attempt() == d.path("attempt").asInt() && d.has("retryInMs")) {
            calls.set(calls.size() - 1, new SagaView.Call(last.kind(), last.run(), last.attempt(), last.at(), last.status(),
                    last.durationMs(), last.outcome(), last.error(), e.at().plusMillis(d.get("retryInMs").asLong())));
        }
    }

    private static UUID uuid(JsonNode detail, String field) {
        String text = detail == null ? null : detail.path(field).asText(null);
        return text == null ? null : UUID.fromString(text);
    }

    public Calls calls(String step) {
        return calls.getOrDefault(step, Calls.NONE);
    }

    public UUID rerunOf() {
        return rerunOf;
    }

    public List<UUID> reruns() {
        return reruns;
    }
}
