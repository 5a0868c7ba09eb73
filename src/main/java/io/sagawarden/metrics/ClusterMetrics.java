package io.sagawarden.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicInteger;

/** Whether this node leads the cluster-wide jobs: exactly one node of a healthy cluster reports 1. */
// Created at start-up, so its series exist (at zero) before anything happens.
@Startup
@ApplicationScoped
public class ClusterMetrics {

    private final AtomicInteger leader = new AtomicInteger();

    public ClusterMetrics(MeterRegistry registry) {
        Gauge.builder("saga_cluster_leader", leader, AtomicInteger::get)
                .description("1 on the node that runs deadlock detection and the recovery monitor, else 0")
                .register(registry);
    }

    public void leading(boolean leads) {
        leader.set(leads ? 1 : 0);
    }
}
