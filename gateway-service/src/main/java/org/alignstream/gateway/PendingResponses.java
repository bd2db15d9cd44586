package org.alignstream.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.DeadLetter;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.serde.AvroDecodeException;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.DeadLetters;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers the gateway waits for: one {@code read_committed} consumer of {@code aligned-responses} and
 * {@code dead-letters} for the whole gateway (not one per request), assigned every partition of both (no consumer
 * group: every gateway instance sees every answer), reading from their end at start-up, and a map from request id to
 * the future of its answer. A record whose key is a pending request id completes its future with the response, or with
 * the dead letter that says why a stage refused the request; other records are skipped.
 */
final class PendingResponses implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PendingResponses.class);

    /** The answer to one prompt request: a response, or the dead letter of its refusal. */
    record Answer(AlignedResponse response, DeadLetter deadLetter) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, CompletableFuture<Answer>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final IntConsumer onSize;
    private final AvroSerde<AlignedResponse> responses = Pipeline.ALIGNED_RESPONSES.serde();
    private final AvroSerde<DeadLetter> deadLetters = DeadLetters.serde();
    private final Thread thread;
    private volatile boolean assigned;
    private volatile boolean closing;
    private volatile long lastPollNanos = System.nanoTime();

    /**
     * Starts the consumer thread; it assigns itself the partitions once both topics exist (meanwhile {@link #ready()}
     * is false).
     *
     * @param clientConfig Kafka client properties (bootstrap servers, security)
     * @param clientId the consumer's client.id
     * @param onSize told the number of pending requests whenever it changes
     */
    PendingResponses(Map<String, Object> clientConfig, String clientId, IntConsumer onSize) {
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.onSize = onSize;
        thread = new Thread(this::run, "alignstream-gateway-answers");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the consumer has its partitions and polled within the last 30 s. */
    boolean ready() {
        return assigned && System.nanoTime() - lastPollNanos < Duration.ofSeconds(30).toNanos();
    }

    /** Pending requests. */
    int size() {
        return size.get();
    }

    /**
     * Registers a future for each id, unless that would make more than {@code max} pending: then registers none and
     * returns null.
     */
    synchronized List<CompletableFuture<Answer>> register(List<String> ids, int max) {
        if (size.get() + ids.size() > max) {
            return null;
        }
        List<CompletableFuture<Answer>> futures = new ArrayList<>();
        for (String id : ids) {
            CompletableFuture<Answer> f = new CompletableFuture<>();
            if (pending.putIfAbsent(id, f) != null) {
                throw new IllegalStateException("request id " + id + " is already pending");
            }
            futures.add(f);
        }
        onSize.accept(size.addAndGet(ids.size()));
        return futures;
    }

    /** Forgets {@code id} (answered, timed out, or not published). */
    void forget(String id) {
        if (pending.remove(id) != null) {
            onSize.accept(size.decrementAndGet());
        }
    }

    private void run() {
        try {
            while (!closing && !assigned) {
                List<TopicPartition> partitions = new ArrayList<>();
                try {
                    for (String topic : List.of(Pipeline.ALIGNED_RESPONSES.name(), Pipeline.DEAD_LETTERS.name())) {
                        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                        for (PartitionInfo info : infos) {
                            partitions.add(new TopicPartition(info.topic(), info.partition()));
                        }
                        if (infos.isEmpty()) {
                            partitions.clear();
                            break;
                        }
                    }
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    LOG.warn("gateway: cannot reach Kafka yet ({}); retrying", e.getMessage());
                }
                if (partitions.isEmpty()) {
                    LOG.info("gateway: waiting for topics {} and {}", Pipeline.ALIGNED_RESPONSES, Pipeline.DEAD_LETTERS);
                    Thread.sleep(500);
                    continue;
                }
                consumer.assign(partitions);
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position); // fix the start now: answers published from here on are seen
                lastPollNanos = System.nanoTime();
                assigned = true;
                LOG.info("gateway: reading answers from {} partitions", partitions.size());
            }
            while (!closing) {
                var records = consumer.poll(Duration.ofMillis(200));
                lastPollNanos = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> rec : records) {
                    dispatch(rec);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("gateway: the answer consumer failed", e);
            assigned = false;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> rec) {
        if (rec.key() == null || rec.value() == null) {
            return;
        }
        String key = new String(rec.key(), StandardCharsets.UTF_8);
        CompletableFuture<Answer> f = pending.get(key);
        if (f == null) {
            return;
        }
        try {
            Answer a = rec.topic().equals(Pipeline.ALIGNED_RESPONSES.name())
                    ? new Answer(responses.decode(rec.value()), null)
                    : new Answer(null, deadLetters.decode(rec.value()));
            forget(key);
            f.complete(a);
        } catch (AvroDecodeException e) {
            LOG.warn("gateway: record {}-{}@{} for request {} does not decode: {}", rec.topic(), rec.partition(),
                    rec.offset(), key, e.getMessage());
        }
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pending.values().forEach(f -> f.completeExceptionally(new IllegalStateException("the gateway is closing")));
    }
}
