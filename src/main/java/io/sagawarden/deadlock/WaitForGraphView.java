package io.sagawarden.deadlock;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import jakarta.enterprise.context.ApplicationScoped;

/** The live wait-for graph for operators, as JSON or as Graphviz DOT, deadlocked sagas marked. */
@ApplicationScoped
public class WaitForGraphView {

    private final DeadlockStore store;

    public WaitForGraphView(DeadlockStore store) {
        this.store = store;
    }

    /**
     * At most {@code limit} of the {@code edgeCount} edges, those inside deadlocked groups first; {@code truncated}
     * when some were left out. The nodes are the sagas of the edges shown; the groups are always complete.
     */
    public record Graph(List<Node> nodes, List<WaitEdge> edges, List<Set<UUID>> deadlockedGroups, int edgeCount,
                        boolean truncated) {
    }

    public record Node(UUID sagaId, String type, Integer priority, boolean deadlocked) {
    }

    public Graph json(int limit) {
        WaitForGraph graph = new WaitForGraph(store.edges());
        List<Set<UUID>> groups = graph.deadlockedGroups();
        Set<UUID> deadlocked = groups.stream().flatMap(Set::stream).collect(Collectors.toSet());
        List<WaitEdge> shown = graph.edges().stream()
                .sorted(Comparator.comparing((WaitEdge e) -> !(deadlocked.contains(e.waiter()) && deadlocked.contains(e.holder()))))
                .limit(limit).toList();
        Set<UUID> sagas = new TreeSet<>();
        shown.forEach(e -> {
            sagas.add(e.waiter());
            sagas.add(e.holder());
        });
        Map<UUID, SagaNode> nodes = store.nodes(sagas);
        List<Node> vertices = sagas.stream().map(id -> {
            SagaNode n = nodes.get(id);
            return new Node(id, n == null ? null : n.type(), n == null ? null : n.priority(), deadlocked.contains(id));
        }).toList();
        return new Graph(vertices, shown, groups, graph.edgeCount(), shown.size() < graph.edgeCount());
    }

    public String dot(int limit) {
        Graph graph = json(limit);
        StringBuilder out = new StringBuilder("digraph wait_for {\n  node [shape=box];\n");
        for (Node n : graph.nodes()) {
            out.append("  \"").append(n.sagaId()).append("\" [label=\"").append(n.type()).append("\\n")
                    .append(n.sagaId().toString(), 0, 8).append(" p").append(n.priority()).append('"')
                    .append(n.deadlocked() ? ", color=red" : "").append("];\n");
        }
        for (WaitEdge e : graph.edges()) {
            out.append("  \"").append(e.waiter()).append("\" -> \"").append(e.holder()).append("\" [label=\"")
                    .append(e.resource().replace("\"", "\\\"")).append(' ').append(e.requestedMode()).append('/')
                    .append(e.heldMode()).append('"').append(e.kind().name().equals("SOFT") ? ", style=dashed" : "")
                    .append("];\n");
        }
        if (graph.truncated()) {
            out.append("  // ").append(graph.edges().size()).append(" of ").append(graph.edgeCount()).append(" edges\n");
        }
        return out.append("}\n").toString();
    }
}
