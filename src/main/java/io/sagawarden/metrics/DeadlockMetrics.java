package io.sagawarden.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Deadlock detector metrics, named as the Grafana dashboard expects. */
// Created at start-up, so its series exist (at zero) before anything happens.
@Startup
@ApplicationScoped
public class DeadlockMetrics {

    private static final Duration[] ROUND_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(30),
        Duration.ofSeconds(60), Duration.ofSeconds(120)};

    private final MeterRegistry registry;
    private final Timer rounds;
    private final Counter skippedVictims;
    private final AtomicLong edges = new AtomicLong();

    public DeadlockMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.rounds = Timer.builder("deadlock.detection.duration").description("One deadlock detector round, SQL included")
                .serviceLevelObjectives(ROUND_BUCKETS).register(registry);
        this.skippedVictims = Counter.builder("deadlock.victims.skipped")
                .description("Victims not aborted because the cycle had changed by the time of the abort")
                .register(registry);
        Gauge.builder("wait_for_graph_edges", edges, AtomicLong::get).description("Edges of the wait-for graph at the last round")
                .register(registry);
        // Present from the start, so rates over it are 0 rather than absent before the first deadlock.
        for (String method : new String[] {"abort_saga", "timeout", "manual"}) {
            Counter.builder("deadlocks.detected").description("Deadlocks found and resolved")
                    .tag("resolution_method", method).register(registry);
        }
    }

    public void round(Duration took, int graphEdges) {
        rounds.record(took);
        edges.set(graphEdges);
    }

    public void detected(String resolutionMethod) {
        Counter.builder("deadlocks.detected").description("Deadlocks found and resolved")
                .tag("resolution_method", resolutionMethod).register(registry).increment();
    }

    /** A node that does not lead runs no rounds: it must not keep showing the graph of its last one. */
    public void notLeading() {
        edges.set(0);
    }

    public void victimSkipped() {
        skippedVictims.increment();
    }
}
