package org.alignstream.harness.annotator;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows the compacted {@code reward-models} topic from its beginning (read committed), as a scorer's updater does:
 * every published reward-model version, newest per model id, with the time this process first read it.
 */
public final class VersionWatch implements AutoCloseable {
    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();

    /** A version as read, with {@link System#nanoTime()} when it was read. */
    public record Seen(RewardModelVersion version, long readNanos) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, Seen> newest = new HashMap<>();
    private final List<Seen> all = new ArrayList<>();

    public VersionWatch(Map<String, Object> clientConfig) {
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "alignstream-version-watch-" + UUID.randomUUID());
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(Topics.REWARD_MODELS, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Reads what arrived within {@code wait}. */
    public void poll(Duration wait) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
            if (r.value() == null) {
                continue;
            }
            RewardModelVersion v = VERSIONS.decode(r.value());
            Seen seen = new Seen(v, System.nanoTime());
            all.add(seen);
            Seen old = newest.get(v.getModelId());
            if (old == null || old.version().getVersion() < v.getVersion()) {
                newest.put(v.getModelId(), seen);
            }
        }
    }

    /** The newest version of {@code modelId} read so far, or null. */
    public Seen newest(String modelId) {
        return newest.get(modelId);
    }

    /** The newest version number of {@code modelId} read so far (1, the bundled version, if none). */
    public long newestVersion(String modelId) {
        Seen s = newest.get(modelId);
        return s == null ? 1 : s.version().getVersion();
    }

    /** Every version read so far, in reading order. */
    public List<Seen> all() {
        return List.copyOf(all);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
