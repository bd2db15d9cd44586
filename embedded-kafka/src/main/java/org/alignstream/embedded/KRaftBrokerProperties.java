package org.alignstream.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The server properties of a KRaft node that is both broker and controller: by default the only node of a
 * single-node cluster; {@link #clusterNode} turns it into one node of a quorum of several.
 *
 * <p>Defaults suit a local, single-broker run with exactly-once processing: every internal topic has
 * replication factor 1 and min ISR 1. Overrides replace defaults key by key; in override values the
 * placeholders {@value #BROKER_PORT_PLACEHOLDER} and {@value #CONTROLLER_PORT_PLACEHOLDER} are replaced
 * by the chosen ports, so a later change can, for example, turn the client listener into
 * {@code SASL_PLAINTEXT://127.0.0.1:{brokerPort}} without knowing the port in advance.
 */
public final class KRaftBrokerProperties {

    public static final String BROKER_PORT_PLACEHOLDER = "{brokerPort}";
    public static final String CONTROLLER_PORT_PLACEHOLDER = "{controllerPort}";
    public static final String CLIENT_LISTENER = "PLAINTEXT";
    public static final String CONTROLLER_LISTENER = "CONTROLLER";
    public static final int NODE_ID = 1;

    private KRaftBrokerProperties() {
    }

    /** Defaults, still holding the port placeholders. */
    public static Map<String, String> defaults() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("process.roles", "broker,controller");
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + CONTROLLER_PORT_PLACEHOLDER);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", CLIENT_LISTENER + "://127.0.0.1:" + BROKER_PORT_PLACEHOLDER
                + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + CONTROLLER_PORT_PLACEHOLDER);
        p.put("advertised.listeners", CLIENT_LISTENER + "://127.0.0.1:" + BROKER_PORT_PLACEHOLDER);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", CLIENT_LISTENER);
        // a single broker: every internal topic gets one replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "6");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "6");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("num.partitions", "6");
        // topics are created explicitly (with their partition counts); a typo must not create a 1-partition topic
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        // the default 128 MiB log-cleaner buffer is most of an idle broker's heap
        p.put("log.cleaner.dedupe.buffer.size", "4194304");
        // a 2-core machine: fewer request threads than the defaults (3 network, 8 io)
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        return p;
    }

    /**
     * Replication factor of the pipeline's topics and of the internal topics on a cluster of {@code brokers} nodes:
     * 3 from three brokers on (two may fail one after the other without losing an acknowledged record), else one
     * replica per broker.
     */
    public static int replicationFactor(int brokers) {
        checkBrokers(brokers);
        return Math.min(3, brokers);
    }

    /**
     * {@code min.insync.replicas} on a cluster of {@code brokers} nodes: 2 at replication factor 3 (an acknowledged
     * write is on two brokers; one broker may be down and writes go on), else 1.
     */
    public static int minInsyncReplicas(int brokers) {
        return replicationFactor(brokers) >= 3 ? 2 : 1;
    }

    /**
     * The overrides that make node {@code nodeId} (1-based) one of {@code controllerPorts.size()} combined
     * broker+controller nodes: its id, the static quorum (node {@code i} at {@code 127.0.0.1:controllerPorts[i-1]}),
     * and the replication of every topic (default, consumer offsets, transaction state log, share state) at
     * {@link #replicationFactor} with {@link #minInsyncReplicas}. For one node these equal the defaults.
     *
     * @throws IllegalArgumentException if there is no port or {@code nodeId} is outside 1..ports
     */
    public static Map<String, String> clusterNode(int nodeId, java.util.List<Integer> controllerPorts) {
        int brokers = controllerPorts.size();
        checkBrokers(brokers);
        if (nodeId < 1 || nodeId > brokers) {
            throw new IllegalArgumentException("node id must be in 1.." + brokers + ", got " + nodeId);
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < brokers; i++) {
            int port = controllerPorts.get(i);
            checkPort("controller", port);
            voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(port);
        }
        String rf = Integer.toString(replicationFactor(brokers));
        String minIsr = Integer.toString(minInsyncReplicas(brokers));
        Map<String, String> p = new LinkedHashMap<>();
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", voters.toString());
        p.put("default.replication.factor", rf);
        p.put("min.insync.replicas", minIsr);
        p.put("offsets.topic.replication.factor", rf);
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        return p;
    }

    private static void checkBrokers(int brokers) {
        if (brokers < 1) {
            throw new IllegalArgumentException("a cluster needs at least one broker, got " + brokers);
        }
    }

    /**
     * The complete properties: defaults, then {@code overrides}, placeholders replaced, {@code log.dirs}
     * set to {@code logDir} unless overridden.
     *
     * @throws IllegalArgumentException if a port is outside 1..65535 or an override key or value is null
     */
    public static Properties resolve(int brokerPort, int controllerPort, Path logDir, Map<String, String> overrides) {
        checkPort("broker", brokerPort);
        checkPort("controller", controllerPort);
        Objects.requireNonNull(logDir, "logDir");
        Map<String, String> merged = defaults();
        merged.put("log.dirs", logDir.toAbsolutePath().toString());
        overrides.forEach((key, value) -> {
            if (key == null || key.isBlank() || value == null) {
                throw new IllegalArgumentException("broker property override has a null/blank key or a null value: "
                        + key + "=" + value);
            }
            merged.put(key, value);
        });
        Properties props = new Properties();
        merged.forEach((key, value) -> props.setProperty(key, value
                .replace(BROKER_PORT_PLACEHOLDER, Integer.toString(brokerPort))
                .replace(CONTROLLER_PORT_PLACEHOLDER, Integer.toString(controllerPort))));
        return props;
    }

    private static void checkPort(String which, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(which + " port must be in 1..65535, got " + port);
        }
    }
}
