package org.alignstream.scorer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/**
 * candidates → scored-candidates: scores all candidates of a record with the reward model in one
 * padded batch call and stamps the reward model's id and version on the result.
 */
public final class ScorerTopology {
    public static final String STAGE = "scorer";

    private ScorerTopology() {
    }

    public static Topology build(RewardModel rewardModel, StageMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        SafeStage.add(builder, STAGE, Topics.CANDIDATES, AvroSerde.of(CandidateSet.class),
                Topics.SCORED_CANDIDATES, AvroSerde.of(ScoredCandidateSet.class),
                set -> score(set, rewardModel, metrics), metrics);
        return builder.build();
    }

    static ScoredCandidateSet score(CandidateSet set, RewardModel rewardModel, StageMetrics metrics) {
        List<Candidate> candidates = set.getCandidates();
        if (candidates == null || candidates.isEmpty()) {
            throw new InvalidRecordException("candidate set for request " + set.getRequest().getId() + " has no candidates");
        }
        List<String> texts = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            texts.add(c.getText());
        }
        long start = System.nanoTime();
        double[] rewards = rewardModel.score(set.getRequest().getPrompt(), texts);
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.observeInference(rewardModel.id(), seconds);
        metrics.observeBatch(texts.size());
        if (rewards.length != texts.size()) {
            throw new IllegalStateException("reward model returned " + rewards.length + " rewards for "
                    + texts.size() + " candidates");
        }
        List<Double> rewardList = new ArrayList<>(rewards.length);
        for (double r : rewards) {
            rewardList.add(r);
        }
        Map<String, Double> timings = new HashMap<>(set.getTimingsMs());
        timings.put(STAGE, seconds * 1000.0);
        return ScoredCandidateSet.newBuilder()
                .setRequest(set.getRequest())
                .setPromptTokenIds(set.getPromptTokenIds())
                .setCandidates(candidates)
                .setRewards(rewardList)
                .setGeneratorModel(set.getGeneratorModel())
                .setRewardModel(new ModelRef(rewardModel.id(), rewardModel.version()))
                .setTimingsMs(timings)
                .build();
    }
}
