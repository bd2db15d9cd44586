package org.alignstream.evaluation.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one topic from its current end, read committed (what a downstream reader of an exactly-once stage sees), and
 * stamps each record with the time it was handed to us.
 */
final class TopicTail<V> implements AutoCloseable {

    /**
     * A record as read, with {@link System#nanoTime()} and this process's CPU time ({@link ProcessCpu}) when
     * {@code poll} returned it.
     */
    record Received<V>(long nanos, long cpuNanos, String key, V value) {
    }

    private final String topic;
    private final KafkaConsumer<String, V> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();

    TopicTail(Map<String, Object> clientConfig, String topic, Deserializer<V> deserializer) {
        this.topic = topic;
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "alignstream-bench-" + UUID.randomUUID());
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), deserializer);
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        consumer.assign(partitions);
        skipToEnd();
    }

    /** Skips whatever the topic holds now: the next {@link #take} sees only records written afterwards. */
    void skipToEnd() {
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now, before anything is produced
    }

    /**
     * Polls until {@code count} records arrived.
     *
     * @throws IllegalStateException if fewer arrive within {@code timeout}, or more (someone else writes to the topic)
     */
    List<Received<V>> take(int count, Duration timeout) {
        List<Received<V>> out = new ArrayList<>(count);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + out.size() + " of " + count + " records arrived on " + topic
                        + " within " + timeout + " (look at the dead-letters topic and the stage logs)");
            }
            var records = consumer.poll(Duration.ofMillis(100));
            long now = System.nanoTime();
            long cpu = ProcessCpu.nanos();
            for (ConsumerRecord<String, V> r : records) {
                out.add(new Received<>(now, cpu, r.key(), r.value()));
            }
        }
        if (out.size() > count) {
            throw new IllegalStateException(out.size() + " records arrived on " + topic + ", expected " + count
                    + ": something else writes to it");
        }
        return out;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(10));
    }
}
