package io.sagawarden.deadlock;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The part of a wait-for graph that can hold a cycle. A saga that waits for nobody, or that nobody waits for,
 * lies on no cycle; taking it out may leave its neighbours in the same position, so they are peeled off in
 * turn until every saga left both waits and is waited for. Linear in sagas plus edges, without recursion,
 * over int arrays: most waits in a busy system are chains behind a working saga, and they cost the strongly
 * connected components search nothing.
 */
final class CyclicCore {

    private CyclicCore() {
    }

    static List<WaitEdge> of(List<WaitEdge> edges) {
        int m = edges.size();
        Map<UUID, Integer> index = new HashMap<>(Math.max(16, m * 2));
        int[] from = new int[m];
        int[] to = new int[m];
        for (int e = 0; e < m; e++) {
            from[e] = index.computeIfAbsent(edges.get(e).waiter(), k -> index.size());
            to[e] = index.computeIfAbsent(edges.get(e).holder(), k -> index.size());
        }
        int n = index.size();
        int[] outDegree = new int[n];
        int[] inDegree = new int[n];
        for (int e = 0; e < m; e++) {
            outDegree[from[e]]++;
            inDegree[to[e]]++;
        }
        int[][] outgoing = adjacency(from, outDegree);
        int[][] incoming = adjacency(to, inDegree);
        boolean[] peeled = new boolean[n];
        int[] stack = new int[n];
        int top = 0;
        for (int v = 0; v < n; v++) {
            if (outDegree[v] == 0 || inDegree[v] == 0) {
                peeled[v] = true;
                stack[top++] = v;
            }
        }
        while (top > 0) {
            int v = stack[--top];
            for (int e : outgoing[v]) {
                int w = to[e];
                if (!peeled[w] && --inDegree[w] == 0) {
                    peeled[w] = true;
                    stack[top++] = w;
                }
            }
            for (int e : incoming[v]) {
                int u = from[e];
                if (!peeled[u] && --outDegree[u] == 0) {
                    peeled[u] = true;
                    stack[top++] = u;
                }
            }
        }
        List<WaitEdge> core = new ArrayList<>();
        for (int e = 0; e < m; e++) {
            if (!peeled[from[e]] && !peeled[to[e]]) {
                core.add(edges.get(e));
            }
        }
        return core;
    }

    /** For each vertex, the ids of the edges whose {@code end} it is. */
    private static int[][] adjacency(int[] end, int[] degree) {
        int[][] byVertex = new int[degree.length][];
        int[] filled = new int[degree.length];
        for (int v = 0; v < degree.length; v++) {
            byVertex[v] = new int[degree[v]];
        }
        for (int e = 0; e < end.length; e++) {
            byVertex[end[e]][filled[end[e]]++] = e;
        }
        return byVertex;
    }
}
