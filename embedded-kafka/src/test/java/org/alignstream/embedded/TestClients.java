package org.alignstream.embedded;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Producers and consumers against an {@link EmbeddedKafkaCluster}, for tests. */
final class TestClients {

    private TestClients() {
    }

    static KafkaProducer<String, String> producer(EmbeddedKafkaCluster kafka, Map<String, Object> extra) {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.putAll(extra);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    static KafkaConsumer<String, String> consumer(EmbeddedKafkaCluster kafka, String groupId, String isolationLevel) {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    /**
     * Subscribes to {@code topic} and polls until the consumer's position reached the end offset (for
     * read_committed: the last stable offset) of every partition and at least {@code minRecords} arrived.
     */
    static List<ConsumerRecord<String, String>> consumeAll(KafkaConsumer<String, String> consumer, String topic,
                                                          int minRecords, Duration timeout) {
        consumer.subscribe(List.of(topic));
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            Set<TopicPartition> assigned = consumer.assignment();
            if (records.size() >= minRecords && !assigned.isEmpty() && caughtUp(consumer, assigned)) {
                consumer.commitSync();
                return records;
            }
        }
        throw new AssertionError("consumed " + records.size() + " records from " + topic + ", expected at least "
                + minRecords + " and all partitions caught up within " + timeout);
    }

    private static boolean caughtUp(KafkaConsumer<String, String> consumer, Set<TopicPartition> partitions) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
    }
}
