package org.alignstream.scorer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.RewardHead;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot-swaps new reward-model versions in, off the hot path: a background thread reads the compacted
 * {@code reward-models} topic from the beginning (read committed, every partition, no consumer group, so every scorer
 * instance sees every version and all converge on the same one), and for each version newer than the one served
 * checks it (payload size, backbone, that it parses as a reward head with the expected input and output and metadata
 * matching the record, finite rewards on a probe) before {@link RewardModelRegistry#publish publishing} it, which swaps
 * it in between batches and closes what falls out of the kept versions. A version that fails a check is logged with
 * the reason and never served.
 */
public final class RewardModelUpdater implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RewardModelUpdater.class);
    private static final AvroSerde<RewardModelVersion> VERSIONS = AvroSerde.of(RewardModelVersion.class);
    private static final List<String> PROBE = List.of("What a lovely day.", "This is awful.");

    private final RewardModelRegistry registry;
    private final OrtSessions sessions;
    private final long maxModelBytes;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong swapped = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    /**
     * @param clientConfig at least {@code bootstrap.servers}
     */
    public RewardModelUpdater(Map<String, Object> clientConfig, RewardModelRegistry registry, OrtSessions sessions,
                              long maxModelBytes) {
        this.registry = registry;
        this.sessions = sessions;
        this.maxModelBytes = maxModelBytes;
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, (int) Math.max(1 << 20, maxModelBytes + (1 << 16)));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.REWARD_MODELS, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::run, "reward-model-updater");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        try {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r.value(), r.topic() + "-" + r.partition() + "@" + r.offset());
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("reward-model updater stopped: {}", e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Checks one published version and swaps it in if it is newer than the served one; returns whether it was. */
    boolean apply(byte[] value, String where) {
        if (value == null) {
            return false; // a tombstone: nothing to serve
        }
        try {
            if (value.length > maxModelBytes) {
                throw new IllegalArgumentException("payload of " + value.length + " bytes is over the limit of "
                        + maxModelBytes);
            }
            RewardModelVersion v = VERSIONS.decode(value);
            String id = v.getModelId();
            RewardModel base = registry.base(id);
            if (base == null) {
                LOG.debug("{}: version {} of {} ignored: this scorer does not serve that model", where, v.getVersion(), id);
                return false;
            }
            String newest = registry.newestVersion(id);
            if (newest != null && isNumber(newest) && Long.parseLong(newest) >= v.getVersion()) {
                return false; // already serving this or a newer version
            }
            if (!(base instanceof EncoderRewardModel encoderModel)) {
                throw new IllegalArgumentException("model " + id + " is not an encoder + head model; its versions "
                        + "cannot be swapped from head bytes");
            }
            if (!encoderModel.encoder().name().equals(v.getBackbone())) {
                throw new IllegalArgumentException("version " + v.getVersion() + " is for backbone '" + v.getBackbone()
                        + "' but " + id + " runs on '" + encoderModel.encoder().name() + "'");
            }
            if (v.getHeadOnnx() == null) {
                throw new IllegalArgumentException("version " + v.getVersion() + " has no head bytes (model-store URIs "
                        + "are not supported by this scorer)");
            }
            byte[] bytes = new byte[v.getHeadOnnx().remaining()];
            v.getHeadOnnx().duplicate().get(bytes);
            RewardHead head = RewardHead.load(sessions, bytes, id + " v" + v.getVersion() + " (" + where + ")");
            HeadMetadata m = head.metadata();
            if (!m.id().equals(id) || !m.version().equals(Long.toString(v.getVersion())) || !m.kind().equals(v.getKind())) {
                head.close();
                throw new IllegalArgumentException("head metadata (" + m.id() + " v" + m.version() + ", " + m.kind()
                        + ") does not match the record (" + id + " v" + v.getVersion() + ", " + v.getKind() + ")");
            }
            EncoderRewardModel candidate = encoderModel.withHead(head);
            double[] probe = candidate.score("", PROBE);
            for (double p : probe) {
                if (!Double.isFinite(p)) {
                    candidate.close();
                    throw new IllegalArgumentException("version " + v.getVersion() + " gives a non-finite reward on a probe");
                }
            }
            registry.publish(candidate);
            swapped.incrementAndGet();
            LOG.info("reward model {} version {} is live (figures {})", id, v.getVersion(), v.getFigures());
            return true;
        } catch (RuntimeException e) { // AvroDecodeException included
            rejected.incrementAndGet();
            LOG.warn("{}: reward-model version rejected, the served version stays: {}", where, e.getMessage());
            return false;
        }
    }

    private static boolean isNumber(String s) {
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Versions swapped in so far. */
    public long swapped() {
        return swapped.get();
    }

    /** Versions rejected so far. */
    public long rejected() {
        return rejected.get();
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
