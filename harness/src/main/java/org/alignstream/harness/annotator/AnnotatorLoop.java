package org.alignstream.harness.annotator;

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
import org.alignstream.avro.Candidate;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The Kafka side of the {@link SimulatedAnnotator}: reads {@code scored-candidates} (read committed, every partition,
 * from the end as it was when created; all N candidates of a prompt with the proxy's rewards), annotates the sets of
 * the requests asked for, and returns their feedback events for the caller to publish on {@code feedback}.
 */
public final class AnnotatorLoop implements AutoCloseable {

    /** One annotated request. */
    public record Annotated(String requestId, String prompt, SimulatedAnnotator.Annotation annotation,
                            List<FeedbackEvent> events) {
    }

    private final SimulatedAnnotator annotator;
    private final String rewardModel;
    private final String annotatorId;
    private final KafkaConsumer<String, ScoredCandidateSet> consumer;
    private final Map<String, ScoredCandidateSet> early = new HashMap<>();

    /**
     * @param rewardModel the reward model the feedback trains ({@code sentiment})
     * @param annotatorId recorded on each event
     */
    public AnnotatorLoop(Map<String, Object> clientConfig, SimulatedAnnotator annotator, String rewardModel,
                         String annotatorId) {
        this.annotator = annotator;
        this.rewardModel = rewardModel;
        this.annotatorId = annotatorId;
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "alignstream-annotator-" + UUID.randomUUID());
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), Pipeline.SCORED_CANDIDATES.serde().deserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(Topics.SCORED_CANDIDATES, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
        if (partitions.isEmpty()) {
            consumer.close(Duration.ofSeconds(1));
            throw new IllegalStateException("topic " + Topics.SCORED_CANDIDATES + " does not exist: is the scorer running?");
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now, before any request is published
    }

    /**
     * Waits for the scored candidates of every request in {@code ids} (others read meanwhile are kept for a later call)
     * and annotates them, in arrival order.
     *
     * @throws IllegalStateException if some do not arrive within {@code timeout}
     */
    public List<Annotated> annotate(Collection<String> ids, Duration timeout) {
        Set<String> wanted = new HashSet<>(ids);
        List<Annotated> out = new ArrayList<>();
        for (String id : ids) {
            ScoredCandidateSet s = early.remove(id);
            if (s != null) {
                out.add(annotate(s));
                wanted.remove(id);
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!wanted.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(wanted.size() + " of " + ids.size() + " requests got no scored "
                        + "candidates within " + timeout + " (look at the dead-letters topic and the stage logs)");
            }
            for (ConsumerRecord<String, ScoredCandidateSet> r : consumer.poll(Duration.ofMillis(100))) {
                String id = r.value().getRequest().getId();
                if (wanted.remove(id)) {
                    out.add(annotate(r.value()));
                } else {
                    early.put(id, r.value());
                }
            }
        }
        return out;
    }

    /** Annotates one scored candidate set. */
    public Annotated annotate(ScoredCandidateSet set) {
        String id = set.getRequest().getId();
        List<String> texts = set.getCandidates().stream().map(Candidate::getText).toList();
        double[] proxy = set.getRewards().stream().mapToDouble(Double::doubleValue).toArray();
        SimulatedAnnotator.Annotation a = annotator.annotate(id, texts, proxy);
        String prompt = set.getRequest().getPrompt();
        return new Annotated(id, prompt, a, SimulatedAnnotator.events(id, prompt, a, rewardModel, annotatorId));
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
