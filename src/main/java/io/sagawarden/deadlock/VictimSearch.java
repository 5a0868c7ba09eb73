package io.sagawarden.deadlock;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The victim search inside one deadlocked group, over int arrays: a group of a busy system can hold thousands of
 * sagas and tens of thousands of waits, and many choices are made in it. Plain Java.
 *
 * <p>Choosing "the most expendable saga of each deadlocked group left, until none is left" is the same as walking
 * the sagas once in policy order and taking each one that still sits on a cycle: a saga off every cycle never
 * gets back on one, and a saga on a cycle has no more expendable saga left in its component (that one came first
 * and was taken). So each saga is looked at once, and only the component of a taken saga is searched again.
 */
final class VictimSearch {

    /** A saga taken, and the sagas of its component at that moment (for the policy's "why"). */
    record Taken(UUID saga, List<UUID> component) {
    }

    /** Node i < sagas.length is the saga sagas[i]; nodes beyond stand for parts of a queue (see ofQueues). */
    private final UUID[] sagas;
    private final Map<UUID, Integer> index;
    private final int[][] out;
    private final BitSet selfLoop;

    private VictimSearch(UUID[] sagas, Map<UUID, Integer> index, List<List<Integer>> out, BitSet selfLoop) {
        this.sagas = sagas;
        this.index = index;
        this.out = new int[out.size()][];
        for (int i = 0; i < out.size(); i++) {
            this.out[i] = out.get(i).stream().mapToInt(Integer::intValue).toArray();
        }
        this.selfLoop = selfLoop;
    }

    /** Over the wait edges of the group's sagas, as given. */
    static VictimSearch ofEdges(Collection<UUID> group, Function<UUID, Collection<UUID>> successors) {
        Nodes nodes = new Nodes(group);
        for (int i = 0; i < nodes.sagas.length; i++) {
            for (UUID holder : successors.apply(nodes.sagas[i])) {
                Integer j = nodes.index.get(holder);
                if (j != null) {
                    nodes.edge(i, j);
                }
            }
        }
        return nodes.search();
    }

    /**
     * Over the queues the group's sagas wait in, with n waits in O(n) edges rather than the n²/2 of a long queue
     * (which would make every search quadratic): a waiter points at one node per mode it conflicts with that
     * stands for "every request of that mode ahead of me", a chain down the queue, and at one node per mode that
     * stands for the holders of that mode. Which sagas reach which, with any of them taken out, is exactly what
     * the waiters' blockers ({@link LockQueue#blockers}) give. An upgrade, whose own hold must not count, points
     * at the other holders directly.
     */
    static VictimSearch ofQueues(Collection<UUID> group, Collection<LockQueue> queues) {
        Nodes nodes = new Nodes(group);
        for (LockQueue queue : queues) {
            new QueueNodes(nodes, queue).link();
        }
        return nodes.search();
    }

    /** The saga nodes, then the queue nodes added while linking, and their edges. */
    private static final class Nodes {
        final UUID[] sagas;
        final Map<UUID, Integer> index = new HashMap<>();
        final List<List<Integer>> out = new ArrayList<>();
        final BitSet selfLoop = new BitSet();

        Nodes(Collection<UUID> group) {
            sagas = group.toArray(UUID[]::new);
            for (int i = 0; i < sagas.length; i++) {
                index.put(sagas[i], i);
                out.add(new ArrayList<>(2));
            }
        }

        int add() {
            out.add(new ArrayList<>(2));
            return out.size() - 1;
        }

        void edge(int from, int to) {
            out.get(from).add(to);
            if (from == to) {
                selfLoop.set(from);
            }
        }

        VictimSearch search() {
            return new VictimSearch(sagas, index, out, selfLoop);
        }
    }

    /** One queue's nodes: per mode, the holders of that mode and, down the queue, the requests of it so far. */
    private static final class QueueNodes {
        private static final LockMode[] MODES = LockMode.values();
        private final Nodes nodes;
        private final LockQueue queue;
        private final List<LockQueue.Waiter> waiters;
        private final int[] holdersOf = new int[MODES.length];
        private final int[][] aheadOf;

        QueueNodes(Nodes nodes, LockQueue queue) {
            this.nodes = nodes;
            this.queue = queue;
            this.waiters = queue.waiters();
            java.util.Arrays.fill(holdersOf, -1);
            aheadOf = new int[MODES.length][waiters.size()];
            for (int[] chain : aheadOf) {
                java.util.Arrays.fill(chain, -1);
            }
        }

        void link() {
            for (int i = 0; i < waiters.size(); i++) {
                LockQueue.Waiter w = waiters.get(i);
                Integer v = nodes.index.get(w.saga());
                if (v == null || queue.covers(w.saga(), w.mode())) {
                    continue;
                }
                boolean holds = queue.heldBy(w.saga()).isPresent();
                for (LockMode mode : MODES) {
                    if (w.mode().isCompatibleWith(mode)) {
                        continue;
                    }
                    if (holds) {
                        for (LockQueue.Holder h : queue.holders()) {
                            Integer holder = nodes.index.get(h.saga());
                            if (h.mode() == mode && holder != null && !h.saga().equals(w.saga())) {
                                nodes.edge(v, holder);
                            }
                        }
                    } else {
                        nodes.edge(v, holders(mode));
                    }
                    if (i > 0) {
                        nodes.edge(v, ahead(mode, i - 1));
                    }
                }
            }
        }

        private int holders(LockMode mode) {
            if (holdersOf[mode.ordinal()] < 0) {
                int hub = nodes.add();
                holdersOf[mode.ordinal()] = hub;
                for (LockQueue.Holder h : queue.holders()) {
                    Integer holder = nodes.index.get(h.saga());
                    if (h.mode() == mode && holder != null) {
                        nodes.edge(hub, holder);
                    }
                }
            }
            return holdersOf[mode.ordinal()];
        }

        /** The node for "the requests of {@code mode} at positions up to {@code last}", built down to it. */
        private int ahead(LockMode mode, int last) {
            int[] chain = aheadOf[mode.ordinal()];
            int from = last;
            while (from > 0 && chain[from - 1] < 0) {
                from--;
            }
            for (int j = from; j <= last; j++) {
                if (chain[j] >= 0) {
                    continue;
                }
                int node = nodes.add();
                chain[j] = node;
                LockQueue.Waiter w = waiters.get(j);
                Integer saga = nodes.index.get(w.saga());
                if (w.mode() == mode && saga != null) {
                    nodes.edge(node, saga);
                }
                if (j > 0) {
                    nodes.edge(node, chain[j - 1]);
                }
            }
            return chain[last];
        }
    }

    /** Walks {@code policyOrder} (every saga of the group, most expendable first) and takes each still on a cycle. */
    List<Taken> takeInOrder(List<UUID> policyOrder) {
        int[] component = new int[out.length];
        List<int[]> members = new ArrayList<>();
        BitSet all = new BitSet(out.length);
        all.set(0, out.length);
        label(all, component, members);
        List<Taken> taken = new ArrayList<>();
        for (UUID saga : policyOrder) {
            int v = index.get(saga);
            if (component[v] < 0) {
                continue;
            }
            int[] mine = members.get(component[v]);
            List<UUID> names = new ArrayList<>(mine.length);
            BitSet rest = new BitSet(out.length);
            for (int m : mine) {
                if (m < sagas.length) {
                    names.add(sagas[m]);
                }
                rest.set(m);
            }
            taken.add(new Taken(saga, names));
            rest.clear(v);
            component[v] = -1;
            label(rest, component, members);
        }
        return taken;
    }

    /** True when {@code saga} sits on a cycle of the group once {@code without} have left it. */
    boolean onCycleWithout(UUID saga, Collection<UUID> without) {
        int start = index.get(saga);
        if (selfLoop.get(start)) {
            return true;
        }
        BitSet gone = new BitSet(out.length);
        without.forEach(w -> gone.set(index.get(w)));
        BitSet seen = new BitSet(out.length);
        ArrayDeque<Integer> frontier = new ArrayDeque<>();
        frontier.add(start);
        while (!frontier.isEmpty()) {
            for (int next : out[frontier.poll()]) {
                if (next == start) {
                    return true;
                }
                if (!gone.get(next) && !seen.get(next)) {
                    seen.set(next);
                    frontier.add(next);
                }
            }
        }
        return false;
    }

    /**
     * Gives each saga of {@code within} the number of its strongly connected component among {@code within}
     * (a new entry of {@code members}), or -1 when it sits on no cycle there. Tarjan's algorithm without
     * recursion: a component may hold 100,000 sagas.
     */
    private void label(BitSet within, int[] component, List<int[]> members) {
        int n = out.length;
        int[] order = new int[n];
        int[] low = new int[n];
        int[] edge = new int[n];
        java.util.Arrays.fill(order, -1);
        BitSet onStack = new BitSet(n);
        int[] stack = new int[within.cardinality()];
        int stackSize = 0;
        int[] path = new int[stack.length];
        int counter = 0;
        for (int root = within.nextSetBit(0); root >= 0; root = within.nextSetBit(root + 1)) {
            if (order[root] >= 0) {
                continue;
            }
            int depth = 0;
            path[depth++] = root;
            order[root] = low[root] = counter++;
            edge[root] = 0;
            stack[stackSize++] = root;
            onStack.set(root);
            while (depth > 0) {
                int v = path[depth - 1];
                if (edge[v] < out[v].length) {
                    int w = out[v][edge[v]++];
                    if (!within.get(w)) {
                        continue;
                    }
                    if (order[w] < 0) {
                        order[w] = low[w] = counter++;
                        edge[w] = 0;
                        stack[stackSize++] = w;
                        onStack.set(w);
                        path[depth++] = w;
                    } else if (onStack.get(w)) {
                        low[v] = Math.min(low[v], order[w]);
                    }
                    continue;
                }
                depth--;
                if (depth > 0) {
                    int parent = path[depth - 1];
                    low[parent] = Math.min(low[parent], low[v]);
                }
                if (low[v] == order[v]) {
                    int size = 0;
                    int top;
                    do {
                        top = stack[--stackSize];
                        onStack.clear(top);
                        size++;
                    } while (top != v);
                    int[] group = new int[size];
                    System.arraycopy(stack, stackSize, group, 0, size);
                    // Queue nodes only lead on to sagas ahead and holders: a cycle needs two sagas, or a self-loop.
                    boolean cyclic = sagasIn(group) > 1 || selfLoop.get(v);
                    int id = cyclic ? members.size() : -1;
                    for (int m : group) {
                        component[m] = id;
                    }
                    if (cyclic) {
                        members.add(group);
                    }
                }
            }
        }
    }

    private int sagasIn(int[] group) {
        int count = 0;
        for (int node : group) {
            if (node < sagas.length) {
                count++;
            }
        }
        return count;
    }
}
