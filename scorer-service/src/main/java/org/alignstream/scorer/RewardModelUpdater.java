package org.alignstream.scorer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.alignstream.common.topics.Topics;
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
 * instance sees every version and all converge on the same one) and hands each record to the
 * {@link RewardModelInstaller}, which checks it and swaps it in between batches.
 */
public final class RewardModelUpdater implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RewardModelUpdater.class);

    private final RewardModelInstaller installer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);

    /**
     * @param clientConfig at least {@code bootstrap.servers}
     */
    public RewardModelUpdater(Map<String, Object> clientConfig, RewardModelInstaller installer) {
        this.installer = installer;
        long maxModelBytes = installer.maxModelBytes();
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
                    installer.apply(r.value(), r.topic() + "-" + r.partition() + "@" + r.offset());
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

    /** What checks and installs the versions read. */
    public RewardModelInstaller installer() {
        return installer;
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
