package io.sagawarden.lock;

import static io.sagawarden.lock.LockMode.EXCLUSIVE;
import static io.sagawarden.lock.LockMode.SHARED;
import static io.sagawarden.lock.LockMode.UPDATE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The queueing rules: first come first served, no overtaking, upgrades first, re-entrancy. */
class LockQueueTest {

    private final UUID a = new UUID(0, 1);
    private final UUID b = new UUID(0, 2);
    private final UUID c = new UUID(0, 3);
    private final UUID d = new UUID(0, 4);

    private static LockQueue.Holder holds(UUID saga, LockMode mode) {
        return new LockQueue.Holder(saga, mode);
    }

    private static LockQueue.Waiter waits(long seq, UUID saga, LockMode mode) {
        return new LockQueue.Waiter(seq, saga, mode, false);
    }

    private static LockQueue.Waiter upgrades(long seq, UUID saga, LockMode mode) {
        return new LockQueue.Waiter(seq, saga, mode, true);
    }

    @Test
    void a_free_resource_is_granted_in_any_mode() {
        LockQueue queue = new LockQueue(List.of(), List.of());
        for (LockMode mode : LockMode.values()) {
            assertThat(queue.grantable(a, mode)).isTrue();
        }
    }

    @Test
    void readers_share_but_a_writer_waits_for_them() {
        LockQueue queue = new LockQueue(List.of(holds(a, SHARED), holds(b, SHARED)), List.of());
        assertThat(queue.grantable(c, SHARED)).isTrue();
        assertThat(queue.grantable(c, UPDATE)).isTrue();
        assertThat(queue.grantable(c, EXCLUSIVE)).isFalse();
        assertThat(queue.blockers(c, EXCLUSIVE)).extracting(LockQueue.Blocker::saga).containsExactly(a, b);
        assertThat(queue.blockers(c, EXCLUSIVE)).extracting(LockQueue.Blocker::kind).containsOnly(LockQueue.Kind.HARD);
    }

    @Test
    void a_new_reader_does_not_overtake_a_waiting_writer() {
        // a reads; b queued for EXCLUSIVE; c arrives for SHARED: compatible with a, but must not starve b.
        LockQueue queue = new LockQueue(List.of(holds(a, SHARED)), List.of(waits(1, b, EXCLUSIVE)));
        assertThat(queue.grantable(c, SHARED)).isFalse();
        assertThat(queue.blockers(c, SHARED)).containsExactly(new LockQueue.Blocker(b, EXCLUSIVE, LockQueue.Kind.SOFT));
    }

    @Test
    void queued_requests_are_served_in_arrival_order() {
        LockQueue queue = new LockQueue(List.of(), List.of(waits(2, c, EXCLUSIVE), waits(1, b, EXCLUSIVE)));
        assertThat(queue.grantable(b, EXCLUSIVE)).isTrue();
        assertThat(queue.grantable(c, EXCLUSIVE)).isFalse();
        assertThat(queue.grantableWaiters()).extracting(LockQueue.Waiter::saga).containsExactly(b);
    }

    @Test
    void compatible_readers_at_the_head_of_the_queue_are_all_grantable_together() {
        LockQueue queue = new LockQueue(List.of(),
                List.of(waits(1, a, SHARED), waits(2, b, SHARED), waits(3, c, EXCLUSIVE), waits(4, d, SHARED)));
        assertThat(queue.grantableWaiters()).extracting(LockQueue.Waiter::saga).containsExactly(a, b);
    }

    @Test
    void a_lock_already_held_in_a_stronger_mode_is_reentrant() {
        LockQueue queue = new LockQueue(List.of(holds(a, EXCLUSIVE)), List.of(waits(1, b, SHARED)));
        assertThat(queue.grantable(a, SHARED)).isTrue();
        assertThat(queue.grantable(a, EXCLUSIVE)).isTrue();
        assertThat(queue.covers(a, UPDATE)).isTrue();
        assertThat(queue.blockers(a, EXCLUSIVE)).isEmpty();
    }

    @Test
    void an_upgrade_waits_for_the_other_holders_only_and_goes_ahead_of_new_requests() {
        // a and b read; c waits to write; a wants to upgrade to EXCLUSIVE.
        LockQueue queue = new LockQueue(List.of(holds(a, SHARED), holds(b, SHARED)),
                List.of(waits(1, c, EXCLUSIVE), upgrades(2, a, EXCLUSIVE)));
        assertThat(queue.waiters()).extracting(LockQueue.Waiter::saga).containsExactly(a, c);
        assertThat(queue.blockers(a, EXCLUSIVE)).containsExactly(new LockQueue.Blocker(b, SHARED, LockQueue.Kind.HARD));
        // Once b has gone, the upgrade is served before c.
        LockQueue after = new LockQueue(List.of(holds(a, SHARED)), List.of(waits(1, c, EXCLUSIVE), upgrades(2, a, EXCLUSIVE)));
        assertThat(after.grantableWaiters()).extracting(LockQueue.Waiter::saga).containsExactly(a);
        assertThat(after.blockers(c, EXCLUSIVE)).extracting(LockQueue.Blocker::kind)
                .containsExactly(LockQueue.Kind.HARD, LockQueue.Kind.SOFT);
    }

    @Test
    void two_readers_upgrading_the_same_resource_block_each_other() {
        LockQueue queue = new LockQueue(List.of(holds(a, SHARED), holds(b, SHARED)),
                List.of(upgrades(1, a, EXCLUSIVE), upgrades(2, b, EXCLUSIVE)));
        assertThat(queue.blockers(a, EXCLUSIVE)).extracting(LockQueue.Blocker::saga).containsExactly(b);
        assertThat(queue.blockers(b, EXCLUSIVE)).extracting(LockQueue.Blocker::saga).containsExactly(a, a);
    }

    @Test
    void update_admits_readers_but_not_a_second_updater() {
        LockQueue queue = new LockQueue(List.of(holds(a, UPDATE)), List.of());
        assertThat(queue.grantable(b, SHARED)).isTrue();
        assertThat(queue.grantable(b, UPDATE)).isFalse();
        assertThat(queue.grantable(b, EXCLUSIVE)).isFalse();
    }

    @Test
    void the_waiters_found_grantable_in_one_pass_are_those_each_found_grantable_alone() {
        Random random = new Random(42);
        for (int round = 0; round < 20_000; round++) {
            LockQueue queue = randomQueue(random);
            assertThat(queue.grantableWaiters()).as("round %d: %s / %s", round, queue.holders(), queue.waiters())
                    .containsExactlyElementsOf(queue.waiters().stream().filter(w -> queue.grantable(w.saga(), w.mode())).toList());
        }
    }

    @Test
    void holders_own_request_and_the_first_request_of_each_kind_decide_as_the_whole_queue_does() {
        Random random = new Random(7);
        for (int round = 0; round < 20_000; round++) {
            LockQueue whole = randomQueue(random);
            UUID saga = new UUID(0, 1 + random.nextInt(12));
            LockMode mode = LockMode.values()[random.nextInt(3)];
            // What the lock manager reads for one saga's request: every holder, its own request, the first of each kind.
            Map<String, LockQueue.Waiter> firstOfKind = new HashMap<>();
            List<LockQueue.Waiter> seen = new ArrayList<>();
            whole.waiters().stream().sorted(Comparator.comparingLong(LockQueue.Waiter::seq))
                    .forEach(w -> firstOfKind.putIfAbsent(w.mode() + "/" + w.upgrade(), w));
            seen.addAll(firstOfKind.values());
            whole.waiters().stream().filter(w -> w.saga().equals(saga) && !seen.contains(w)).forEach(seen::add);
            LockQueue asSeen = new LockQueue(whole.holders(), seen);

            assertThat(asSeen.grantable(saga, mode)).as("round %d: %s asks %s of %s / %s", round, saga, mode,
                    whole.holders(), whole.waiters()).isEqualTo(whole.grantable(saga, mode));
            assertThat(asSeen.covers(saga, mode)).isEqualTo(whole.covers(saga, mode));
        }
    }

    /** Up to 4 holders and 20 waiters of 12 sagas, each saga queued at most once, holders' requests upgrades. */
    private static LockQueue randomQueue(Random random) {
        Map<UUID, LockQueue.Holder> holders = new HashMap<>();
        for (int i = random.nextInt(5); i > 0; i--) {
            UUID saga = new UUID(0, 1 + random.nextInt(12));
            holders.put(saga, new LockQueue.Holder(saga, LockMode.values()[random.nextInt(3)]));
        }
        Map<UUID, LockQueue.Waiter> waiters = new HashMap<>();
        for (int seq = 1; seq <= random.nextInt(21); seq++) {
            UUID saga = new UUID(0, 1 + random.nextInt(12));
            waiters.putIfAbsent(saga, new LockQueue.Waiter(seq, saga, LockMode.values()[random.nextInt(3)],
                    holders.containsKey(saga)));
        }
        return new LockQueue(holders.values(), waiters.values());
    }
}
