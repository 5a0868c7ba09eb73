package io.sagawarden.saga;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The typed history: each kind of event is one the schema allows, with the detail API.md shows. */
class SagaEventTest {

    private static final List<SagaEvent> ONE_OF_EACH = List.of(
            new SagaEvent.Submitted("svc", "key-1"), new SagaEvent.Claimed("node-a", null),
            new SagaEvent.Claimed("node-b", "node-a"), new SagaEvent.WaitingForLock("s", "sku:1", LockMode.EXCLUSIVE),
            new SagaEvent.LocksGranted("s", Map.of("sku:1", 7L), Duration.ofMillis(12)),
            new SagaEvent.CallStarted("s", false, 1), new SagaEvent.CallStarted("s", true, 1),
            new SagaEvent.Called("s", false, 1, 200, Duration.ofMillis(5), "SUCCEEDED", null),
            new SagaEvent.Called("s", true, 1, null, Duration.ofMillis(5), "RETRYABLE", "no answer"),
            new SagaEvent.RetryScheduled("s", false, 1, Duration.ofMillis(50), "HTTP 503"),
            new SagaEvent.RetryScheduled("s", true, 1, Duration.ofMillis(50), "HTTP 503"),
            new SagaEvent.StepSucceeded("s", 1), new SagaEvent.StepFailed("s", 2, "HTTP 409", false),
            new SagaEvent.StepCompensated("s", 1, SagaReason.STEP_FAILED), new SagaEvent.CompensationNotNeeded("s", "why"),
            new SagaEvent.CompensationFailed("s", 10, "HTTP 500"), new SagaEvent.Compensating(SagaReason.DEADLOCK_VICTIM),
            new SagaEvent.DeadlockVictim(UUID.randomUUID(), "lowest priority (1) in the cycle"),
            new SagaEvent.Restarted(SagaReason.DEADLOCK_VICTIM, 2, Duration.ofMillis(150)),
            new SagaEvent.RestartLimitReached(10, 10), new SagaEvent.StuckRecovery("s", false, "NO_OWNER", 1),
            new SagaEvent.StuckRecovery("s", true, "NO_OWNER", 4),
            new SagaEvent.Ended(SagaStatus.COMPLETED, null, Duration.ofSeconds(1)),
            new SagaEvent.Ended(SagaStatus.COMPENSATED, SagaReason.STEP_FAILED, Duration.ofSeconds(1)),
            new SagaEvent.Ended(SagaStatus.FAILED, SagaReason.COMPENSATION_FAILED, Duration.ofSeconds(1)),
            new SagaEvent.AbortRequested(SagaReason.OPERATOR_ABORT, "otto"), new SagaEvent.RetryRequested("otto"),
            new SagaEvent.RerunSubmitted(UUID.randomUUID(), "otto", "rerun-1"));

    @Test
    void every_kind_is_one_the_schema_allows_and_every_allowed_kind_is_written() throws Exception {
        List<String> allowed = Arrays.stream(newestKindCheck().split(",")).map(k -> k.strip().replace("'", "")).toList();

        assertThat(allowed).containsExactlyInAnyOrder(SagaEvent.kinds());
        assertThat(ONE_OF_EACH.stream().map(SagaEvent::kind).distinct()).containsExactlyInAnyOrder(SagaEvent.kinds());
    }

    /** The kinds of the CHECK as the newest migration that redefines it lists them. */
    private static String newestKindCheck() throws IOException {
        Pattern check = Pattern.compile("saga_events_kind_check CHECK \\(kind IN \\(([^)]*)\\)\\)");
        try (Stream<Path> migrations = Files.list(Path.of("src/main/resources/db/migration"))) {
            String newest = null;
            for (Path migration : migrations.sorted(Comparator.comparingInt(SagaEventTest::version)).toList()) {
                Matcher m = check.matcher(Files.readString(migration));
                if (m.find()) {
                    newest = m.group(1);
                }
            }
            assertThat(newest).as("a migration defining saga_events_kind_check").isNotNull();
            return newest;
        }
    }

    private static int version(Path migration) {
        String name = migration.getFileName().toString();
        return Integer.parseInt(name.substring(1, name.indexOf("__")));
    }

    @Test
    void a_rerun_is_linked_both_ways_and_a_submission_carries_no_link() {
        UUID original = UUID.randomUUID();
        UUID copy = UUID.randomUUID();
        assertThat(new SagaEvent.Submitted("svc", "key-1").detail()).containsOnlyKeys("submitter", "idempotencyKey");
        assertThat(new SagaEvent.Submitted("svc", null, original, "otto").detail())
                .containsExactly(Map.entry("submitter", "svc"), Map.entry("rerunOf", original.toString()), Map.entry("by", "otto"));
        assertThat(new SagaEvent.RerunSubmitted(copy, "otto", null).detail())
                .containsExactly(Map.entry("sagaId", copy.toString()), Map.entry("by", "otto"));
    }

    @Test
    void details_carry_the_fields_api_md_names_and_leave_out_nulls() {
        assertThat(new SagaEvent.Called("s", false, 2, null, Duration.ofMillis(7), "RETRYABLE", "no answer").detail())
                .containsExactly(Map.entry("attempt", 2), Map.entry("durationMs", 7L), Map.entry("outcome", "RETRYABLE"),
                        Map.entry("error", "no answer"));
        assertThat(new SagaEvent.Claimed("node-b", "node-a").detail())
                .containsExactly(Map.entry("node", "node-b"), Map.entry("previousOwner", "node-a"));
        assertThat(new SagaEvent.LocksGranted("s", Map.of("a", 1L), null).detail()).containsOnlyKeys("fencingTokens");
        assertThat(new SagaEvent.Ended(SagaStatus.COMPLETED, null, Duration.ofMillis(1500)).detail())
                .containsExactly(Map.entry("durationMs", 1500L));
        assertThat(new SagaEvent.StuckRecovery("charge", true, "NO_OWNER", 4))
                .satisfies(e -> assertThat(e.step()).isEqualTo("charge"))
                .satisfies(e -> assertThat(e.kind()).isEqualTo("STUCK_RECOVERY_COMPENSATE"));
    }
}
