package io.sagawarden.deadlock;

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

    private final UUID[] sagas;
    private final Map<UUID, Integer> index = new HashMap<>();
    private final int[][] out;
    private final BitSet selfLoop = new BitSet();

    VictimSearch(Collection<UUID> group, Function<UUID, Collection<UUID>> successors) {
        sagas = group.toArray(UUID[]::new);
        for (int i = 0; i < sagas.length; i++) {
            index.put(sagas[i], i);
        }
        out = new int[sagas.length][];
        for (int i = 0; i < sagas.length; i++) {
            List<Integer> next = new ArrayList<>();
            for (UUID holder : successors.apply(sagas[i])) {
                Integer j = index.get(holder);
                if (j != null) {
                    next.add(j);
                    if (j == i) {
                        selfLoop.set(i);
                    }
                }
            }
            out[i] = next.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** Walks {@code policyOrder} (every saga of the group, most expendable first) and takes each still on a cycle. */
    List<Taken> takeInOrder(List<UUID> policyOrder) {
        int[] component = new int[sagas.length];
        List<int[]> members = new ArrayList<>();
        BitSet all = new BitSet(sagas.length);
        all.set(0, sagas.length);
        label(all, component, members);
        BitSet removed = new BitSet(sagas.length);
        List<Taken> taken = new ArrayList<>();
        for (UUID saga : policyOrder) {
            int v = index.get(saga);
            if (component[v] < 0) {
                continue;
            }
            int[] mine = members.get(component[v]);
            List<UUID> names = new ArrayList<>(mine.length);
            BitSet rest = new BitSet(sagas.length);
            for (int m : mine) {
                names.add(sagas[m]);
                rest.set(m);
            }
            taken.add(new Taken(saga, names));
            removed.set(v);
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
        BitSet gone = new BitSet(sagas.length);
        without.forEach(w -> gone.set(index.get(w)));
        BitSet seen = new BitSet(sagas.length);
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
        int n = sagas.length;
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
                    boolean cyclic = size > 1 || selfLoop.get(v);
                    int id = cyclic ? members.size() : -1;
                    int[] group = new int[size];
                    System.arraycopy(stack, stackSize, group, 0, size);
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
}
