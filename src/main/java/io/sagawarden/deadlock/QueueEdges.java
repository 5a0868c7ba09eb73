package io.sagawarden.deadlock;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The wait edges of one lock queue, linear in its waits and holders: every waiter's every blocker
 * ({@link LockQueue#blockers}) would be n²/2 edges for a queue of n, and a client can queue thousands.
 *
 * <p>Each edge is a real wait, and a saga reaches through them exactly the sagas it reaches through all its
 * blockers, so the deadlocked groups are the same. UPDATE and EXCLUSIVE conflict with themselves, so the nearest
 * request of such a mode ahead stands for all of that mode ahead of it (it waits for them in turn); a waiter
 * whose nearest request of its own mode ahead is such a request reaches the conflicting holders through it too.
 * SHARED requests do not wait for each other: an EXCLUSIVE waiter points at those after the nearest EXCLUSIVE
 * request ahead, which reaches the earlier ones. A request its saga's hold already covers waits for nobody, so
 * nothing is reached through it: the chain skips past it to the next real one.
 *
 * <p>Taking sagas out breaks these chains, so the search inside a deadlocked group uses the blockers themselves.
 */
final class QueueEdges {

    private static final LockMode[] MODES = LockMode.values();

    private final String resource;
    private final Map<UUID, LockMode> held = new HashMap<>();
    private final List<LockQueue.Holder> holders;
    private final List<LockQueue.Waiter> waiters;
    private final Consumer<WaitEdge> out;
    private int count;

    private QueueEdges(String resource, LockQueue queue, Consumer<WaitEdge> out) {
        this.resource = resource;
        this.holders = queue.holders();
        this.waiters = queue.waiters();
        this.out = out;
        holders.forEach(h -> held.put(h.saga(), h.mode()));
    }

    /**
     * Gives {@code out} the edges of {@code queue}, each dated with its waiter's {@code waitingSince}, and returns
     * the waiting sagas that nothing blocks.
     */
    static List<UUID> of(String resource, LockQueue queue, Map<UUID, Instant> waitingSince, Consumer<WaitEdge> out) {
        return new QueueEdges(resource, queue, out).link(waitingSince);
    }

    private List<UUID> link(Map<UUID, Instant> waitingSince) {
        List<UUID> unblocked = new ArrayList<>();
        // Per mode, the positions of the requests of that mode so far, and the last one not covered by a hold.
        List<List<Integer>> positions = new ArrayList<>();
        int[] lastReal = new int[MODES.length];
        for (int m = 0; m < MODES.length; m++) {
            positions.add(new ArrayList<>());
            lastReal[m] = -1;
        }
        int sharedShown = 0;
        for (int i = 0; i < waiters.size(); i++) {
            LockQueue.Waiter w = waiters.get(i);
            LockMode mode = w.mode();
            LockMode hold = held.get(w.saga());
            boolean covered = hold != null && hold.covers(mode);
            Instant since = waitingSince.get(w.saga());
            int edgesBefore = count;
            if (!covered) {
                if (mode == LockMode.SHARED || lastReal[mode.ordinal()] < 0) {
                    for (LockQueue.Holder h : holders) {
                        if (!h.saga().equals(w.saga()) && !mode.isCompatibleWith(h.mode())) {
                            edge(w, since, h.saga(), h.mode(), LockQueue.Kind.HARD);
                        }
                    }
                }
                for (LockMode other : List.of(LockMode.UPDATE, LockMode.EXCLUSIVE)) {
                    if (mode.isCompatibleWith(other)) {
                        continue;
                    }
                    List<Integer> ahead = positions.get(other.ordinal());
                    for (int k = ahead.size() - 1; k >= 0; k--) {
                        int at = ahead.get(k);
                        edge(w, since, waiters.get(at).saga(), other, LockQueue.Kind.SOFT);
                        if (at <= lastReal[other.ordinal()]) {
                            break;
                        }
                    }
                }
                if (mode == LockMode.EXCLUSIVE) {
                    List<Integer> shared = positions.get(LockMode.SHARED.ordinal());
                    for (; sharedShown < shared.size(); sharedShown++) {
                        edge(w, since, waiters.get(shared.get(sharedShown)).saga(), LockMode.SHARED, LockQueue.Kind.SOFT);
                    }
                }
            }
            if (count == edgesBefore) {
                unblocked.add(w.saga());
            }
            positions.get(mode.ordinal()).add(i);
            if (!covered) {
                lastReal[mode.ordinal()] = i;
            }
        }
        return unblocked;
    }

    private void edge(LockQueue.Waiter w, Instant since, UUID blocker, LockMode blockerMode, LockQueue.Kind kind) {
        count++;
        out.accept(new WaitEdge(w.saga(), blocker, resource, w.mode(), blockerMode, kind, since));
    }
}
