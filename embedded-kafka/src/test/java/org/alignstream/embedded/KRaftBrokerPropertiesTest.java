package org.alignstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class KRaftBrokerPropertiesTest {

    private static final Path LOG_DIR = Path.of("/tmp/some-kafka/logs");

    @Test
    void replacesPortPlaceholdersInDefaults() {
        Properties props = KRaftBrokerProperties.resolve(40001, 40002, LOG_DIR, Map.of());

        assertThat(props.getProperty("listeners")).isEqualTo("PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002");
        assertThat(props.getProperty("advertised.listeners")).isEqualTo("PLAINTEXT://127.0.0.1:40001");
        assertThat(props.getProperty("controller.quorum.voters")).isEqualTo("1@127.0.0.1:40002");
        assertThat(props.values()).noneMatch(v -> v.toString().contains("{"));
        assertThat(props.getProperty("log.dirs")).isEqualTo(LOG_DIR.toAbsolutePath().toString());
    }

    @Test
    void configuresEverySingleBrokerReplicationSettingForExactlyOnce() {
        Properties props = KRaftBrokerProperties.resolve(40001, 40002, LOG_DIR, Map.of());

        assertThat(props).containsEntry("process.roles", "broker,controller")
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("log.cleaner.dedupe.buffer.size", "4194304")
                .containsEntry("group.initial.rebalance.delay.ms", "0")
                .containsEntry("num.partitions", "6");
    }

    @Test
    void overridesReplaceDefaultsAndMayUsePlaceholders() {
        Map<String, String> overrides = Map.of(
                "listeners", "SASL_PLAINTEXT://127.0.0.1:{brokerPort},CONTROLLER://127.0.0.1:{controllerPort}",
                "num.partitions", "3",
                "log.dirs", "/elsewhere");

        Properties props = KRaftBrokerProperties.resolve(40001, 40002, LOG_DIR, overrides);

        assertThat(props.getProperty("listeners"))
                .isEqualTo("SASL_PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002");
        assertThat(props.getProperty("num.partitions")).isEqualTo("3");
        assertThat(props.getProperty("log.dirs")).isEqualTo("/elsewhere");
        // untouched defaults stay
        assertThat(props.getProperty("transaction.state.log.min.isr")).isEqualTo("1");
    }

    @Test
    void rejectsBadPortsAndNullOverrideValues() {
        assertThatThrownBy(() -> KRaftBrokerProperties.resolve(0, 40002, LOG_DIR, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker port").hasMessageContaining("0");
        assertThatThrownBy(() -> KRaftBrokerProperties.resolve(40001, 70000, LOG_DIR, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("controller port");
        Map<String, String> withNull = new HashMap<>();
        withNull.put("num.partitions", null);
        assertThatThrownBy(() -> KRaftBrokerProperties.resolve(40001, 40002, LOG_DIR, withNull))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("num.partitions");
    }

    @Test
    void aNodeOfThreeVotesInTheQuorumOfAllAndReplicatesEveryTopicThreeTimesWithMinIsrTwo() {
        Properties props = KRaftBrokerProperties.resolve(40003, 40004, LOG_DIR,
                KRaftBrokerProperties.clusterNode(2, java.util.List.of(40002, 40004, 40006)));

        assertThat(props).containsEntry("node.id", "2")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:40002,2@127.0.0.1:40004,3@127.0.0.1:40006")
                .containsEntry("default.replication.factor", "3")
                .containsEntry("min.insync.replicas", "2")
                .containsEntry("offsets.topic.replication.factor", "3")
                .containsEntry("transaction.state.log.replication.factor", "3")
                .containsEntry("transaction.state.log.min.isr", "2")
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:40003,CONTROLLER://127.0.0.1:40004");
    }

    @Test
    void replicationFollowsTheBrokerCount() {
        assertThat(KRaftBrokerProperties.replicationFactor(1)).isEqualTo(1);
        assertThat(KRaftBrokerProperties.minInsyncReplicas(1)).isEqualTo(1);
        assertThat(KRaftBrokerProperties.replicationFactor(2)).isEqualTo(2);
        assertThat(KRaftBrokerProperties.minInsyncReplicas(2)).isEqualTo(1);
        assertThat(KRaftBrokerProperties.replicationFactor(5)).isEqualTo(3);
        assertThat(KRaftBrokerProperties.minInsyncReplicas(5)).isEqualTo(2);
        // one node of a quorum of one: the single-broker defaults
        Map<String, String> single = KRaftBrokerProperties.clusterNode(1, java.util.List.of(40002));
        Map<String, String> defaults = KRaftBrokerProperties.defaults();
        single.forEach((k, v) -> assertThat(defaults.getOrDefault(k, k.equals("min.insync.replicas") ? "1" : null))
                .as(k).isEqualTo(v.replace("40002", KRaftBrokerProperties.CONTROLLER_PORT_PLACEHOLDER)));
        assertThatThrownBy(() -> KRaftBrokerProperties.clusterNode(4, java.util.List.of(1, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..3");
        assertThatThrownBy(() -> KRaftBrokerProperties.replicationFactor(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
