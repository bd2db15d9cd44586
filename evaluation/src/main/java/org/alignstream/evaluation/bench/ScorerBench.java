package org.alignstream.evaluation.bench;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.scorer.CandidateScorer;
import org.alignstream.scorer.ScorerService;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Candidate sequences per second: the running scorer stage (its own Kafka Streams application, as ScorerService runs)
 * against the same reward model calls in a bare loop: one {@link RewardModel#score(String, List, RewardModel.Outputs)}
 * per candidate set, asking for what the stage asks for that set ({@link CandidateScorer#outputs}: with the stage's
 * defaults, per-token credit for a Best-of-N set). Both use the stage's own loaded reward model, so the ONNX session
 * and its thread count are the same. {@link BareCall#REWARDS} instead times rewards only (the bare loop before the
 * stage computed credit), which leaves the credit work in the pipeline's share.
 */
final class ScorerBench implements AutoCloseable {

    /** What the bare loop asks of the reward model per set. */
    enum BareCall {
        /** What the stage asks for the set (rewards, and credit or embeddings when the stage computes them). */
        stage,
        /** Rewards only. */
        rewards
    }

    private final List<CandidateSet> pool;
    private final List<RewardModel.Outputs> poolOutputs;
    private final BenchStage stage;
    private final RewardModel rewardModel;
    private final KafkaProducer<String, CandidateSet> producer;
    private final TopicTail<ScoredCandidateSet> tail;

    ScorerBench(Map<String, Object> clientConfig, List<CandidateSet> pool, List<String> stageArgs, BareCall bareCall) {
        this.pool = List.copyOf(pool);
        ScorerService service = new ScorerService();
        stage = BenchStage.start(service, (String) clientConfig.get("bootstrap.servers"), stageArgs);
        rewardModel = service.rewardModel();
        CandidateScorer scorer = new CandidateScorer(service.rewardModels(), service.scorerConfig().limits(),
                service.scorerConfig().credit(), new StageMetrics(Pipeline.SCORER.name()));
        poolOutputs = this.pool.stream()
                .map(set -> bareCall == BareCall.stage ? scorer.outputs(set) : RewardModel.Outputs.REWARDS).toList();
        Map<String, Object> p = new java.util.HashMap<>(clientConfig);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p, new StringSerializer(), Pipeline.CANDIDATES.serde().serializer());
        tail = new TopicTail<>(clientConfig, Topics.SCORED_CANDIDATES, Pipeline.SCORED_CANDIDATES.serde().deserializer());
    }

    /** Record {@code i} of a repetition: the pool cycled, with its own request id. */
    private CandidateSet record(int rep, int i) {
        CandidateSet set = pool.get(i % pool.size());
        PromptRequest request = PromptRequest.newBuilder(set.getRequest()).setId("scorer-" + rep + "-" + i).build();
        return CandidateSet.newBuilder(set).setRequest(request).build();
    }

    PairedRun.Measurement bare(int records, int warmup) {
        long sequences = 0;
        double modelSeconds = 0;
        long start = 0;
        long cpuStart = 0;
        for (int i = 0; i < records; i++) {
            if (i == warmup) {
                start = System.nanoTime();
                cpuStart = ProcessCpu.nanos();
            }
            CandidateSet set = pool.get(i % pool.size());
            RewardModel.Outputs outputs = poolOutputs.get(i % pool.size());
            List<String> texts = new ArrayList<>(set.getCandidates().size());
            for (Candidate c : set.getCandidates()) {
                texts.add(c.getText());
            }
            long t0 = System.nanoTime();
            double[] rewards = rewardModel.score(set.getRequest().getPrompt(), texts, outputs).rewards();
            if (i >= warmup) {
                modelSeconds += (System.nanoTime() - t0) / 1e9;
                sequences += rewards.length;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuMs = (ProcessCpu.nanos() - cpuStart) / 1e6;
        int timed = records - warmup;
        return new PairedRun.Measurement(sequences / seconds, seconds * 1000 / timed, modelSeconds * 1000 / timed,
                cpuMs / timed);
    }

    PairedRun.Measurement pipeline(int rep, int records, int warmup, Duration timeout) {
        for (int i = 0; i < records; i++) {
            CandidateSet set = record(rep, i);
            producer.send(new ProducerRecord<>(Topics.CANDIDATES, set.getRequest().getId(), set));
        }
        producer.flush();
        List<TopicTail.Received<ScoredCandidateSet>> out = tail.take(records, timeout);
        return PairedRun.Measurement.ofOutputs(out, warmup, set -> set.getRewards().size(),
                ScoredCandidateSet::getTimingsMs, "scorer");
    }

    /**
     * The scorer stage's model calls so far ({@code alignstream_batch_size}): calls, texts per call, and whether its
     * reward model is batch-invariant (candidate sets of several records may share a call).
     */
    String batchSummary() {
        org.alignstream.common.observability.StageMetrics m = stage.running().metrics();
        long calls = m.batches();
        return String.format(java.util.Locale.ROOT, "%d model calls, %.1f texts per call, %s", calls,
                calls == 0 ? 0.0 : m.batchItems() / calls,
                m.batchInvariant(rewardModel.id(), rewardModel.version()) == 1
                        ? "reward model batch-invariant (sets merged unless --max-batch-records=1)"
                        : "reward model not batch-invariant (one call per set)");
    }

    @Override
    public void close() {
        try {
            tail.close();
            producer.close(Duration.ofSeconds(10));
        } finally {
            stage.close();
        }
    }
}
