package io.sagawarden.cluster;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** This node among the others, and leadership of the cluster-wide jobs (deadlock detection, the recovery monitor). */
@ConfigMapping(prefix = "saga.cluster")
public interface ClusterConfig {

    /** How long a leader's lease holds without renewal; a dead leader is replaced after at most this. */
    @WithDefault("PT10S")
    Duration leaderLease();

    /** How often nodes renew or try to take the lease, and record that they are alive. */
    @WithDefault("PT2S")
    Duration heartbeat();

    /** This node's name in leases, heartbeats, the leader lease and events; defaults to the host name and a suffix. */
    Optional<String> nodeId();
}
