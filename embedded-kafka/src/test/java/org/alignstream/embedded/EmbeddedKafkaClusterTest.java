package org.alignstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One shared real broker for the tests that do not stop it. */
class EmbeddedKafkaClusterTest {

    private static EmbeddedKafkaCluster kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void createsTopicsWithTheRequestedPartitionCount() throws Exception {
        kafka.createTopics(6, "six-a", "six-b");

        try (Admin admin = Admin.create(kafka.clientConfig())) {
            Map<String, TopicDescription> topics = admin.describeTopics(List.of("six-a", "six-b"))
                    .allTopicNames().get(10, TimeUnit.SECONDS);
            assertThat(topics.values()).allSatisfy(t -> {
                assertThat(t.partitions()).hasSize(6);
                assertThat(t.partitions()).allSatisfy(p -> assertThat(p.leader().id()).isEqualTo(1));
            });
        }
    }

    @Test
    void transactionalRecordsArriveExactlyOnceUnderReadCommitted() {
        String topic = "eos-roundtrip";
        kafka.createTopics(6, topic);
        Map<String, Object> transactional = Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "eos-test-producer",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);

        try (KafkaProducer<String, String> producer = TestClients.producer(kafka, transactional)) {
            producer.initTransactions();
            for (int batch = 0; batch < 4; batch++) {
                producer.beginTransaction();
                for (int i = batch * 25; i < (batch + 1) * 25; i++) {
                    producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i));
                }
                producer.commitTransaction();
            }
            // an aborted transaction: a read_committed consumer must never see these
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + i, "aborted-" + i));
            }
            producer.flush();
            producer.abortTransaction();
        }

        List<ConsumerRecord<String, String>> records;
        try (KafkaConsumer<String, String> consumer = TestClients.consumer(kafka, "eos-reader", "read_committed")) {
            records = TestClients.consumeAll(consumer, topic, 100, Duration.ofSeconds(20));
        }

        List<String> values = records.stream().map(ConsumerRecord::value).toList();
        Set<String> expected = IntStream.range(0, 100).mapToObj(i -> "value-" + i).collect(Collectors.toSet());
        assertThat(values).hasSize(100).doesNotHaveDuplicates();
        assertThat(Set.copyOf(values)).isEqualTo(expected);
        assertThat(records).allSatisfy(r -> assertThat(r.value()).isEqualTo("value-" + r.key().substring(4)));
        assertThat(records.stream().map(ConsumerRecord::partition).distinct().count())
                .as("keys spread over the 6 partitions").isGreaterThan(1);
    }

    @Test
    void readUncommittedSeesTheAbortedRecordsSoTheIsolationCheckAboveCanFail() {
        String topic = "eos-aborted";
        kafka.createTopics(1, topic);
        try (KafkaProducer<String, String> producer = TestClients.producer(kafka, Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "eos-abort-producer"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();
        }

        try (KafkaConsumer<String, String> uncommitted = TestClients.consumer(kafka, "dirty", "read_uncommitted");
             KafkaConsumer<String, String> committed = TestClients.consumer(kafka, "clean", "read_committed")) {
            assertThat(TestClients.consumeAll(uncommitted, topic, 2, Duration.ofSeconds(20)))
                    .extracting(ConsumerRecord::value).containsExactly("aborted", "committed");
            assertThat(TestClients.consumeAll(committed, topic, 1, Duration.ofSeconds(20)))
                    .extracting(ConsumerRecord::value).containsExactly("committed");
        }
    }

    @Test
    void clientConfigIsAFreshMutableMapWithTheBootstrapServers() {
        Map<String, Object> config = kafka.clientConfig();
        config.put("client.id", "changed");

        assertThat(config.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG))
                .isEqualTo("127.0.0.1:" + kafka.brokerPort())
                .isEqualTo(kafka.bootstrapServers());
        assertThat(kafka.clientConfig()).doesNotContainKey("client.id");
    }

    @Test
    void rejectsBadTopicRequestsWithPreciseMessages() {
        kafka.createTopics(2, "already-there");

        assertThatThrownBy(() -> kafka.createTopics(0, "t"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitions must be at least 1, got 0");
        assertThatThrownBy(() -> kafka.createTopics(3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one topic name");
        assertThatThrownBy(() -> kafka.createTopics(3, "dup", "dup"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given twice: dup");
        assertThatThrownBy(() -> kafka.createTopics(3, "already-there"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already-there")
                .hasMessageContaining("already exists");
    }
}
