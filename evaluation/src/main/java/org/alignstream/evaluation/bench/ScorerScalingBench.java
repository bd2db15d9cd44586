package org.alignstream.evaluation.bench;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.scorer.ScorerService;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Candidate sequences per second through two scorer instances against one ({@code scorer_scaling_2_vs_1}). Each
 * deployment has its own embedded broker (so neither sees the other's records): one with a single scorer stage, one
 * with two stages of the same application id (one stream thread each, own state directories) sharing the 6 partitions
 * of candidates. All in this JVM: the instances compete for the same cores, as two processes on one machine would.
 */
final class ScorerScalingBench implements AutoCloseable {

    /** One broker and {@code instances} scorer stages on it, with a producer to candidates and a scored tail. */
    static final class Deployment implements AutoCloseable {
        private final String name;
        private final List<CandidateSet> pool;
        private final EmbeddedKafkaCluster kafka;
        private final List<BenchStage> stages = new ArrayList<>();
        private final KafkaProducer<String, CandidateSet> producer;
        private final TopicTail<ScoredCandidateSet> tail;

        Deployment(String name, int instances, List<CandidateSet> pool, List<String> stageArgs) {
            this.name = name;
            this.pool = List.copyOf(pool);
            this.kafka = EmbeddedKafkaCluster.start();
            try {
                Map<String, Object> clientConfig = kafka.clientConfig();
                for (int i = 0; i < instances; i++) {
                    stages.add(BenchStage.start(new ScorerService(), kafka.bootstrapServers(), stageArgs));
                }
                Map<String, Object> p = new HashMap<>(clientConfig);
                p.put(ProducerConfig.ACKS_CONFIG, "all");
                producer = new KafkaProducer<>(p, new StringSerializer(), Pipeline.CANDIDATES.serde().serializer());
                tail = new TopicTail<>(clientConfig, Topics.SCORED_CANDIDATES,
                        Pipeline.SCORED_CANDIDATES.serde().deserializer());
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        PairedRun.Measurement measure(int rep, int records, int warmup, Duration timeout) {
            for (int i = 0; i < records; i++) {
                CandidateSet set = pool.get(i % pool.size());
                PromptRequest request = PromptRequest.newBuilder(set.getRequest())
                        .setId("scaling-" + rep + "-" + i).build();
                producer.send(new ProducerRecord<>(Topics.CANDIDATES, request.getId(),
                        CandidateSet.newBuilder(set).setRequest(request).build()));
            }
            producer.flush();
            List<TopicTail.Received<ScoredCandidateSet>> out = tail.take(records, timeout);
            return PairedRun.Measurement.ofOutputs(out, warmup, set -> set.getRewards().size(),
                    ScoredCandidateSet::getTimingsMs, "scorer");
        }

        /** Partitions of candidates per member of the scorer's consumer group (printed; the work must be split). */
        String assignment() {
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                List<String> groups = admin.listGroups().all().get().stream().map(GroupListing::groupId).toList();
                StringBuilder sb = new StringBuilder();
                for (ConsumerGroupDescription g : admin.describeConsumerGroups(groups).all().get().values()) {
                    Map<String, Integer> perMember = new TreeMap<>();
                    for (MemberDescription m : g.members()) {
                        perMember.put(m.clientId(), (int) m.assignment().topicPartitions().stream()
                                .filter(tp -> tp.topic().equals(Topics.CANDIDATES)).count());
                    }
                    sb.append(g.groupId()).append(' ').append(perMember.values()).append(' ');
                }
                return sb.toString().strip();
            } catch (Exception e) {
                return "(unknown: " + e + ")";
            }
        }

        @Override
        public void close() {
            try {
                if (tail != null) {
                    tail.close();
                }
                if (producer != null) {
                    producer.close(Duration.ofSeconds(10));
                }
            } finally {
                try {
                    stages.forEach(BenchStage::close);
                } finally {
                    kafka.close();
                }
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final Deployment one;
    private final Deployment two;

    ScorerScalingBench(List<CandidateSet> pool, List<String> stageArgs) {
        one = new Deployment("one scorer", 1, pool, stageArgs);
        try {
            two = new Deployment("two scorers", 2, pool, stageArgs);
        } catch (RuntimeException e) {
            one.close();
            throw e;
        }
    }

    /** Interleaved repetitions (one instance in PairedRun's "bare" slot, two in its "pipeline" slot). */
    Ratio run(int warmupRounds, int repetitions, int records, int warmup, Duration timeout) throws Exception {
        PairedRun run = PairedRun.run(warmupRounds, repetitions, rep -> one.measure(rep, records, warmup, timeout),
                rep -> two.measure(rep, records, warmup, timeout), "seq/s", 0);
        System.out.printf(Locale.ROOT, "scorer scaling: median one instance %.1f seq/s, median two instances %.1f seq/s;"
                + " candidates partitions per member: one {%s}, two {%s}%n", run.bareRate(), run.pipelineRate(),
                one.assignment(), two.assignment());
        return new Ratio("scorer_scaling_2_vs_1", run.ratio());
    }

    @Override
    public void close() {
        try {
            two.close();
        } finally {
            one.close();
        }
    }
}
