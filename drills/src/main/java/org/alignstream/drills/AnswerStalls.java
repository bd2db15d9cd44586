package org.alignstream.drills;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * How long the pipeline went without an answer: a reader of {@code aligned-responses} (read committed, as a client
 * reads) on its own thread notes when each answer becomes visible; the longest stall of a drill is the longest gap
 * between two consecutive answers seen while it ran.
 */
final class AnswerStalls implements AutoCloseable {
    private final List<Long> seenAtNanos = new ArrayList<>();
    private final Thread reader;
    private volatile boolean running = true;

    AnswerStalls(Map<String, Object> clientConfig) {
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(Topics.ALIGNED_RESPONSES, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        reader = new Thread(() -> {
            try (consumer) {
                while (running) {
                    int n = consumer.poll(Duration.ofMillis(50)).count();
                    if (n > 0) {
                        long now = System.nanoTime();
                        synchronized (seenAtNanos) {
                            for (int i = 0; i < n; i++) {
                                seenAtNanos.add(now);
                            }
                        }
                    }
                }
            }
        }, "answer-stalls");
        reader.setDaemon(true);
        reader.start();
    }

    /** A mark: the number of answers seen so far. */
    int mark() {
        synchronized (seenAtNanos) {
            return seenAtNanos.size();
        }
    }

    /**
     * The longest gap in seconds between consecutive answers seen since {@code mark} (the last answer before the
     * mark included, so a stall that began before it counts in full).
     */
    double longestStallSince(int mark) {
        synchronized (seenAtNanos) {
            long longest = 0;
            for (int i = Math.max(1, mark); i < seenAtNanos.size(); i++) {
                longest = Math.max(longest, seenAtNanos.get(i) - seenAtNanos.get(i - 1));
            }
            return longest / 1e9;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        reader.join(10_000);
    }
}
