package org.alignstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** Three combined broker+controller nodes in one JVM: replication, a node down, the in-sync minimum not met. */
class EmbeddedKafkaThreeBrokersTest {

    @Test
    void replicatesThreeTimesSurvivesANodeAndRefusesWritesBelowTheInSyncMinimum() throws Exception {
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.builder().brokers(3).start();
             Admin admin = Admin.create(kafka.clientConfig())) {
            assertThat(kafka.nodes()).hasSize(3);
            assertThat(kafka.replicationFactor()).isEqualTo((short) 3);
            assertThat(kafka.bootstrapServers().split(",")).hasSize(3);
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(3);

            kafka.createTopics(3, "replicated");
            TopicDescription d = admin.describeTopics(List.of("replicated")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("replicated");
            assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
            Config config = admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS).get(broker);
            assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
            assertThat(config.get("transaction.state.log.replication.factor").value()).isEqualTo("3");
            assertThat(config.get("transaction.state.log.min.isr").value()).isEqualTo("2");
            assertThat(config.get("offsets.topic.replication.factor").value()).isEqualTo("3");

            List<String> acknowledged = new ArrayList<>();
            try (KafkaProducer<String, String> producer = TestClients.producer(kafka, Map.of(
                    ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 6000,
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000))) {
                send(producer, "before", acknowledged);
                int leader = leaderOf(admin, 0);
                kafka.stopNode(leader);
                assertThat(kafka.isRunning(leader)).isFalse();
                assertThat(kafka.isRunning()).isFalse();
                send(producer, "one-down", acknowledged); // two replicas in sync: min.insync.replicas met
                assertThat(leaderOf(admin, 0)).isNotEqualTo(leader);

                int second = leaderOf(admin, 0);
                kafka.stopNode(second);
                // one node of three: no controller quorum, and the in-sync minimum cannot be met
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("replicated", 0, "k", "lonely"))
                        .get(20, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);

                kafka.startNode(leader);
                kafka.startNode(second);
                assertThat(kafka.isRunning()).isTrue();
                send(producer, "back", acknowledged);
            }
            try (KafkaConsumer<String, String> consumer = TestClients.consumer(kafka, "reader", "read_committed")) {
                List<String> read = TestClients.consumeAll(consumer, "replicated", acknowledged.size(),
                        Duration.ofSeconds(30)).stream().map(ConsumerRecord::value).toList();
                assertThat(read).as("every acknowledged record").containsAll(acknowledged);
            }
        }
    }

    private static void send(KafkaProducer<String, String> producer, String label, List<String> acknowledged)
            throws Exception {
        for (int p = 0; p < 3; p++) {
            String value = label + "-" + p;
            producer.send(new ProducerRecord<>("replicated", p, "k", value)).get(30, TimeUnit.SECONDS);
            acknowledged.add(value);
        }
    }

    private static int leaderOf(Admin admin, int partition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            TopicPartitionInfo info = admin.describeTopics(List.of("replicated")).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get("replicated").partitions().get(partition);
            if (info.leader() != null && !info.leader().isEmpty()) {
                return info.leader().id();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("partition " + partition + " has no leader");
            }
            Thread.sleep(100);
        }
    }
}
