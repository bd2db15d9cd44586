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
}
