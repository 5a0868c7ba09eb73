package io.sagawarden.deadlock;

import java.util.List;
import java.util.Map;
import java.util.Set;
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

    public record Graph(List<Node> nodes, List<WaitEdge> edges, List<Set<UUID>> deadlockedGroups) {
    }

    public record Node(UUID sagaId, String type, Integer priority, boolean deadlocked) {
    }

    public Graph json() {
        WaitForGraph graph = new WaitForGraph(store.edges());
        List<Set<UUID>> groups = graph.deadlockedGroups();
        Set<UUID> deadlocked = groups.stream().flatMap(Set::stream).collect(Collectors.toSet());
        Map<UUID, SagaNode> nodes = store.nodes(graph.sagas());
        List<Node> vertices = graph.sagas().stream().sorted().map(id -> {
            SagaNode n = nodes.get(id);
            return new Node(id, n == null ? null : n.type(), n == null ? null : n.priority(), deadlocked.contains(id));
        }).toList();
        return new Graph(vertices, List.copyOf(graph.edges()), groups);
    }

    public String dot() {
        Graph graph = json();
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
        return out.append("}\n").toString();
    }
}
