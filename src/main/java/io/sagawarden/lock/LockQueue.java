package io.sagawarden.lock;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * One resource's holders and queue, and the rules that decide who may have it. A request is granted only if
 * it is compatible with every other holder and with every request ahead of it, so nobody starves. Upgrades
 * (a holder asking for a stronger mode) stand ahead of all new requests, among themselves first come first
 * served. Plain Java: the lock manager, the saga view and the wait-for graph all ask this class.
 */
public final class LockQueue {

    /** {@code since} and {@code fencingToken}: when and with which token it was granted, where known. */
    public record Holder(UUID saga, LockMode mode, Instant since, long fencingToken) {
        public Holder(UUID saga, LockMode mode) {
            this(saga, mode, null, 0);
        }
    }

    /** {@code since}: when it queued, where known. */
    public record Waiter(long seq, UUID saga, LockMode mode, boolean upgrade, Instant since) {
        public Waiter(long seq, UUID saga, LockMode mode, boolean upgrade) {
            this(seq, saga, mode, upgrade, null);
        }
    }

    /** Why a queued request waits: HARD for a conflicting holder, SOFT for a conflicting request ahead of it. */
    public enum Kind { HARD, SOFT }

    public record Blocker(UUID saga, LockMode mode, Kind kind) {
    }

    /** Upgrades first, then everyone else, each in arrival order. */
    static final Comparator<Waiter> QUEUE_ORDER =
            Comparator.comparing((Waiter w) -> !w.upgrade()).thenComparingLong(Waiter::seq);

    private final List<Holder> holders;
    private final List<Waiter> waiters;

    // Plain loops rather than streams below: the deadlock detector builds a queue per waited-for resource, up
    // to 100,000 of them a round, and the garbage of a stream per call would cost it more than the rules do.
    public LockQueue(Collection<Holder> holders, Collection<Waiter> waiters) {
        this.holders = List.copyOf(holders);
        List<Waiter> ordered = new ArrayList<>(waiters);
        ordered.sort(QUEUE_ORDER);
        this.waiters = Collections.unmodifiableList(ordered);
    }

    public Optional<LockMode> heldBy(UUID saga) {
        return Optional.ofNullable(heldMode(saga));
    }

    /** True when {@code saga} already holds a mode that grants everything {@code mode} would. */
    public boolean covers(UUID saga, LockMode mode) {
        LockMode held = heldMode(saga);
        return held != null && held.covers(mode);
    }

    private LockMode heldMode(UUID saga) {
        for (Holder h : holders) {
            if (h.saga().equals(saga)) {
                return h.mode();
            }
        }
        return null;
    }

    /** True when {@code saga} may have {@code mode} on this resource now. */
    public boolean grantable(UUID saga, LockMode mode) {
        return covers(saga, mode) || blockers(saga, mode).isEmpty();
    }

    /** Who stands in the way of {@code saga} getting {@code mode}: conflicting holders, then requests ahead. */
    public List<Blocker> blockers(UUID saga, LockMode mode) {
        List<Blocker> blockers = new ArrayList<>();
        if (covers(saga, mode)) {
            return blockers;
        }
        for (Holder h : holders) {
            if (!h.saga().equals(saga) && !mode.isCompatibleWith(h.mode())) {
                blockers.add(new Blocker(h.saga(), h.mode(), Kind.HARD));
            }
        }
        for (Waiter w : ahead(saga, heldMode(saga) != null)) {
            if (!mode.isCompatibleWith(w.mode())) {
                blockers.add(new Blocker(w.saga(), w.mode(), Kind.SOFT));
            }
        }
        return blockers;
    }

    /**
     * The queued sagas that could have their request on this resource granted now: what {@link #grantable} says of
     * each, in one pass (a release on a queue of 100,000 must not compare every waiter with every one ahead of it).
     */
    public List<Waiter> grantableWaiters() {
        Map<UUID, LockMode> held = new HashMap<>();
        Map<LockMode, Integer> holdersByMode = new EnumMap<>(LockMode.class);
        for (Holder h : holders) {
            held.put(h.saga(), h.mode());
            holdersByMode.merge(h.mode(), 1, Integer::sum);
        }
        List<Waiter> grantable = new ArrayList<>();
        Set<LockMode> ahead = EnumSet.noneOf(LockMode.class);
        for (Waiter w : waiters) {
            LockMode own = held.get(w.saga());
            if (own != null && own.covers(w.mode())
                    || conflictingHolders(w.mode(), own, holdersByMode) == 0 && compatibleWithAll(w.mode(), ahead)) {
                grantable.add(w);
            }
            ahead.add(w.mode());
        }
        return grantable;
    }

    /** How many holders other than the asking saga (which holds {@code own}, or nothing) conflict with {@code mode}. */
    private static int conflictingHolders(LockMode mode, LockMode own, Map<LockMode, Integer> holdersByMode) {
        int conflicts = own != null && !mode.isCompatibleWith(own) ? -1 : 0;
        for (Map.Entry<LockMode, Integer> holding : holdersByMode.entrySet()) {
            if (!mode.isCompatibleWith(holding.getKey())) {
                conflicts += holding.getValue();
            }
        }
        return conflicts;
    }

    private static boolean compatibleWithAll(LockMode mode, Set<LockMode> others) {
        for (LockMode other : others) {
            if (!mode.isCompatibleWith(other)) {
                return false;
            }
        }
        return true;
    }

    public List<Holder> holders() {
        return holders;
    }

    /** The queue in the order requests will be served. */
    public List<Waiter> waiters() {
        return waiters;
    }

    /** Requests served before {@code saga}'s: those ahead of it if queued; if not, all (only upgrades, for an upgrade). */
    private List<Waiter> ahead(UUID saga, boolean upgrade) {
        for (int i = 0; i < waiters.size(); i++) {
            if (waiters.get(i).saga().equals(saga)) {
                return waiters.subList(0, i);
            }
        }
        return upgrade ? waiters.stream().filter(Waiter::upgrade).toList() : waiters;
    }
}
