package org.alignstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** Tests that start and stop their own broker. */
class EmbeddedKafkaClusterLifecycleTest {

    @Test
    void closeStopsTheBrokerFreesItsPortsAndDeletesItsDirectory() {
        EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
        Path dir = kafka.baseDir();
        int brokerPort = kafka.brokerPort();
        int controllerPort = kafka.controllerPort();
        assertThat(dir.resolve("logs")).isDirectory();
        assertThat(FreePorts.isFree(brokerPort)).as("broker port bound while running").isFalse();
        assertThat(FreePorts.isFree(controllerPort)).as("controller port bound while running").isFalse();

        kafka.close();

        assertThat(Files.exists(dir)).as("temp dir deleted").isFalse();
        assertThat(FreePorts.isFree(brokerPort)).as("broker port freed").isTrue();
        assertThat(FreePorts.isFree(controllerPort)).as("controller port freed").isTrue();
        assertThat(kafka.isRunning()).isFalse();
        kafka.close(); // idempotent
        assertThatThrownBy(() -> kafka.createTopics(1, "late"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not running");
        assertThatThrownBy(kafka::restart)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void restartKeepsPortsAndDataAndAppliesBrokerOverrides() throws Exception {
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.builder()
                .brokerProperty("num.partitions", "3")
                .brokerProperty("auto.create.topics.enable", "true") // off by default
                .start()) {
            String bootstrap = kafka.bootstrapServers();
            // auto-created by the producer, so it gets the overridden default partition count
            try (KafkaProducer<String, String> producer = TestClients.producer(kafka, Map.of())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("survives-restart", "k" + i, "v" + i)).get(10, TimeUnit.SECONDS);
                }
            }

            kafka.restart();

            assertThat(kafka.isRunning()).isTrue();
            assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                assertThat(admin.describeTopics(List.of("survives-restart")).allTopicNames().get(10, TimeUnit.SECONDS)
                        .get("survives-restart").partitions()).hasSize(3);
            }
            try (KafkaConsumer<String, String> consumer = TestClients.consumer(kafka, "after-restart", "read_committed")) {
                assertThat(TestClients.consumeAll(consumer, "survives-restart", 10, Duration.ofSeconds(20)))
                        .extracting(ConsumerRecord::value)
                        .containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
            }
        }
    }

    @Test
    void aFixedPortThatIsTakenGivesAClearErrorWithoutStartingAnything() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();

            assertThatThrownBy(() -> EmbeddedKafkaCluster.builder().brokerPort(port).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("broker port " + port + " is already in use on 127.0.0.1");
        }
    }

    @Test
    void builderRejectsBadOptions() {
        assertThatThrownBy(() -> EmbeddedKafkaCluster.builder().brokerPort(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -1");
        assertThatThrownBy(() -> EmbeddedKafkaCluster.builder().clusterId("not a uuid"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'not a uuid'");
        assertThatThrownBy(() -> EmbeddedKafkaCluster.builder().timeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> EmbeddedKafkaCluster.builder().brokerProperty(" ", "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
    }
}
