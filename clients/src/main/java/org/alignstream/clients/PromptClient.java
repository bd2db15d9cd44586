package org.alignstream.clients;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A user's view of the pipeline: publishes {@link PromptRequest}s to {@code prompts} and collects the
 * {@link AlignedResponse}s for them from {@code aligned-responses} (read committed). It starts reading
 * at the end of the responses topic when created, so it sees only answers that arrive afterwards.
 *
 * <p>A prompt is in the pipeline only once the brokers acknowledged it (acks=all, idempotent). A send the producer
 * gives up on (after its retries and {@code delivery.timeout.ms}, or at once for a record it cannot send) is never
 * dropped silently: {@link #flush()}, {@link #await} and {@link #pollFor} throw a {@link NotAcknowledgedException}
 * naming every such prompt and its reason, so a caller never waits for an answer to a prompt that was never sent.
 */
public final class PromptClient implements AutoCloseable {
    private final Producer<String, PromptRequest> producer;
    private final Consumer<String, AlignedResponse> consumer;
    private final List<AlignedResponse> received = new ArrayList<>();
    private final SendFailures failedSends = new SendFailures("prompts");

    public PromptClient(Map<String, Object> clientConfig) {
        this(new KafkaProducer<>(producerConfig(clientConfig), new StringSerializer(),
                        Pipeline.PROMPTS.serde().serializer()),
                new KafkaConsumer<>(consumerConfig(clientConfig), new StringDeserializer(),
                        Pipeline.ALIGNED_RESPONSES.serde().deserializer()),
                clientConfig.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    /** With the given producer and consumer (which this client closes); {@code where} names the cluster in errors. */
    PromptClient(Producer<String, PromptRequest> producer, Consumer<String, AlignedResponse> consumer, Object where) {
        this.producer = producer;
        this.consumer = consumer;
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(Topics.ALIGNED_RESPONSES, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        if (partitions.isEmpty()) {
            producer.close(Duration.ofSeconds(1));
            consumer.close(Duration.ofSeconds(1));
            throw new IllegalStateException("topic " + Topics.ALIGNED_RESPONSES + " does not exist on "
                    + where + ": is the selector stage running?");
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end offsets now, before anything is sent
    }

    private static Map<String, Object> producerConfig(Map<String, Object> clientConfig) {
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return p;
    }

    private static Map<String, Object> consumerConfig(Map<String, Object> clientConfig) {
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a reader must not create the pipeline's topics
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "alignstream-client-" + UUID.randomUUID());
        return c;
    }

    /** Sends one prompt; its acknowledgement is checked by the next {@link #flush()}, {@link #await} or {@link #pollFor}. */
    public void send(PromptRequest request) {
        producer.send(new ProducerRecord<>(Topics.PROMPTS, request.getId(), request),
                failedSends.callback(request.getId()));
    }

    /**
     * Waits until every prompt sent so far is acknowledged or has failed.
     *
     * @throws NotAcknowledgedException if any send failed since the last check (each failure is reported once)
     */
    public void flush() {
        producer.flush();
        failedSends.check();
    }

    /**
     * Polls until a response has arrived for every id or the timeout passes; returns what arrived for
     * those ids, in arrival order (duplicates included, so a caller can check for them).
     *
     * @throws NotAcknowledgedException if a prompt sent before the call was not acknowledged
     */
    public List<AlignedResponse> await(Collection<String> ids, Duration timeout) {
        flush();
        Set<String> wanted = new HashSet<>(ids);
        Set<String> seen = new HashSet<>();
        List<AlignedResponse> out = new ArrayList<>();
        for (AlignedResponse r : received) {
            if (wanted.contains(r.getId())) {
                out.add(r);
                seen.add(r.getId());
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!seen.containsAll(wanted) && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, AlignedResponse> rec : consumer.poll(Duration.ofMillis(100))) {
                received.add(rec.value());
                if (wanted.contains(rec.value().getId())) {
                    out.add(rec.value());
                    seen.add(rec.value().getId());
                }
            }
        }
        return out;
    }

    /**
     * Keeps reading aligned-responses for {@code duration}, whatever arrives (e.g. to make sure no
     * duplicate or late answer follows the expected ones); see {@link #received()}.
     *
     * @throws NotAcknowledgedException if a prompt sent before the call was not acknowledged
     */
    public void pollFor(Duration duration) {
        flush();
        long deadline = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, AlignedResponse> rec : consumer.poll(Duration.ofMillis(100))) {
                received.add(rec.value());
            }
        }
    }

    /** Everything read from aligned-responses so far. */
    public List<AlignedResponse> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
        consumer.close(Duration.ofSeconds(10));
    }
}
