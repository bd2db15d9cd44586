package org.alignstream.drills;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.common.pipeline.Topic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A probe on one topic: what its committed records are (read committed, as the stages read), without a consumer
 * group, commits or topic auto-creation. Each call opens its own consumer, so probes may run on any thread.
 */
final class CommittedRecords {
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> clientConfig;
    private final Topic<?> topic;

    CommittedRecords(Map<String, Object> clientConfig, Topic<?> topic) {
        this.clientConfig = new HashMap<>(clientConfig);
        this.clientConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.clientConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.clientConfig.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        this.topic = topic;
    }

    /** The end offset of every partition now: a mark to read {@link #since} from later. */
    Map<TopicPartition, Long> ends() {
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            return new HashMap<>(c.endOffsets(partitions(c)));
        }
    }

    /** Every committed record from the beginning up to the end as of the call (30 s at most). */
    List<ConsumerRecord<byte[], byte[]>> all() {
        return since(Map.of());
    }

    /**
     * The committed records from {@code start} (per partition; from the beginning of a partition not in it) up to the
     * end as of the call, reading for 30 s at most.
     */
    List<ConsumerRecord<byte[], byte[]>> since(Map<TopicPartition, Long> start) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            List<TopicPartition> partitions = partitions(c);
            if (partitions.isEmpty()) {
                return out;
            }
            c.assign(partitions);
            for (TopicPartition tp : partitions) {
                if (start.containsKey(tp)) {
                    c.seek(tp, start.get(tp));
                } else {
                    c.seekToBeginning(List.of(tp));
                }
            }
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(clientConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c) {
        List<TopicPartition> out = new ArrayList<>();
        List<PartitionInfo> infos = c.partitionsFor(topic.name(), METADATA_TIMEOUT);
        if (infos != null) {
            infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
        }
        return out;
    }
}
