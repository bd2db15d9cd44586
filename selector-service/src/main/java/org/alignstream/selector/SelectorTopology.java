package org.alignstream.selector;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.core.selection.BestOfN;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/** scored-candidates → aligned-responses: chooses one candidate by the request's method. */
public final class SelectorTopology {
    public static final String STAGE = "selector";

    private SelectorTopology() {
    }

    public static Topology build(StageMetrics metrics) {
        return build(metrics, System::currentTimeMillis);
    }

    public static Topology build(StageMetrics metrics, LongSupplier clock) {
        StreamsBuilder builder = new StreamsBuilder();
        SafeStage.add(builder, STAGE, Topics.SCORED_CANDIDATES, AvroSerde.of(ScoredCandidateSet.class),
                Topics.ALIGNED_RESPONSES, AvroSerde.of(AlignedResponse.class),
                set -> select(set, clock.getAsLong()), metrics);
        return builder.build();
    }

    static AlignedResponse select(ScoredCandidateSet set, long nowMs) {
        long start = System.nanoTime();
        List<Candidate> candidates = set.getCandidates();
        List<Double> rewards = set.getRewards();
        if (candidates.isEmpty() || candidates.size() != rewards.size()) {
            throw new InvalidRecordException("scored set for request " + set.getRequest().getId() + " has "
                    + candidates.size() + " candidates and " + rewards.size() + " rewards");
        }
        String method = set.getRequest().getStrategy().getMethod();
        int chosen = switch (method) {
            case "best_of_n" -> BestOfN.select(rewards.stream().mapToDouble(Double::doubleValue).toArray());
            default -> throw new InvalidRecordException("unknown method '" + method + "'");
        };
        Candidate c = candidates.get(chosen);
        Map<String, Double> timings = new HashMap<>(set.getTimingsMs());
        timings.put(STAGE, (System.nanoTime() - start) / 1e6);
        long created = set.getRequest().getCreatedAtMs();
        if (created > 0) {
            timings.put("end_to_end", (double) (nowMs - created));
        }
        return AlignedResponse.newBuilder()
                .setId(set.getRequest().getId())
                .setPrompt(set.getRequest().getPrompt())
                .setText(c.getText())
                .setReward(rewards.get(chosen))
                .setChosenIndex(chosen)
                .setCandidateRewards(rewards)
                .setMethod(method)
                .setN(candidates.size())
                .setTokenIds(c.getTokenIds())
                .setGeneratorModel(set.getGeneratorModel())
                .setRewardModel(set.getRewardModel())
                .setTimingsMs(timings)
                .setCreatedAtMs(created)
                .build();
    }
}
