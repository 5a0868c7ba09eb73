package io.sagawarden.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

/** This process's name in leases and leader records: unique per process, readable by operators. */
@ApplicationScoped
public class NodeIdentity {

    private final String id;

    public NodeIdentity(ClusterConfig config) {
        this.id = config.nodeId().orElseGet(() -> host() + "-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public String id() {
        return id;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "node";
        }
    }
}
