package org.alignstream.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The server properties of a single-node KRaft cluster (one process that is both broker and controller).
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
