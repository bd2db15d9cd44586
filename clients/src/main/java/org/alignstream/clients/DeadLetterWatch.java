package org.alignstream.clients;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.alignstream.avro.DeadLetter;
import org.alignstream.common.serde.AvroDecodeException;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Watches {@code dead-letters} (read committed) from its end at creation for the dead letters of given
 * request ids, so a client can tell "rejected" from "still waiting". Dead letters are keyed by the
 * rejected record's original key, which is the request id for everything a client publishes.
 */
public final class DeadLetterWatch implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, DeadLetter> byKey = new HashMap<>();

    public DeadLetterWatch(Map<String, Object> clientConfig) {
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a reader must not create the pipeline's topics
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "alignstream-dead-letter-watch-" + UUID.randomUUID());
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(Topics.DEAD_LETTERS, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        if (partitions.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic " + Topics.DEAD_LETTERS + " does not exist on "
                    + clientConfig.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) + ": is the pipeline running?");
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end offsets now, before anything is sent
    }

    /**
     * Reads what arrived within {@code timeout} and returns the dead letter of {@code key} if one has
     * been seen (now or by an earlier call).
     */
    public Optional<DeadLetter> poll(String key, Duration timeout) {
        for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(timeout)) {
            if (rec.key() == null || rec.value() == null) {
                continue;
            }
            try {
                byKey.putIfAbsent(new String(rec.key(), StandardCharsets.UTF_8), DeadLetters.serde().decode(rec.value()));
            } catch (AvroDecodeException notADeadLetter) {
                // someone else's garbage on the dead-letters topic; not ours to report
            }
        }
        return Optional.ofNullable(byKey.get(key));
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(10));
    }
}
