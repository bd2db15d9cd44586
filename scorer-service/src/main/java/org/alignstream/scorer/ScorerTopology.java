package org.alignstream.scorer;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.BatchingStage;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/**
 * candidates → scored-candidates: the {@link CandidateScorer} as a stage. Each candidate set is checked and scored with
 * its request's reward model (see {@link CandidateScorer} for what a scored set holds); a set that fails the checks
 * or the scoring goes to the dead letters.
 *
 * <p>Batching across requests ({@link ScorerConfig.Batching}): the candidate sets of concurrent requests that arrive
 * together (what one iteration of a stream thread's loop processed, over all its partitions) and use the same
 * batch-invariant reward-model version ({@link RewardModelRegistry#batchInvariant}, decided by
 * {@link org.alignstream.inference.reward.BatchInvariance} when the version is loaded) are scored in ONE padded batch
 * ({@link RewardModel#scoreGroups}, by {@link BatchScorer}), buffered in a changelogged store meanwhile
 * ({@link BatchingStage}). Their outputs are bit-identical to scoring each set alone, so a request's answer does not
 * depend on which requests it met. Sets for a model that is not batch-invariant (the shipped int8 encoders) are scored
 * at once, one call per set, as without batching. Checks run first, per record. With batching off, each set is scored
 * as it arrives ({@link SafeStage}).
 */
public final class ScorerTopology {
    public static final String STAGE = Pipeline.SCORER.name();

    private ScorerTopology() {
    }

    /** The scorer stage for {@code config}, scoring with {@code models}; the registry reports to {@code metrics}. */
    public static Topology build(ScorerConfig config, RewardModelRegistry models, StageMetrics metrics) {
        models.reportTo(metrics);
        CandidateScorer scorer = new CandidateScorer(models, config.limits(), config.credit(), metrics);
        ScorerConfig.Batching batching = config.batching();
        StreamsBuilder builder = new StreamsBuilder();
        if (!batching.enabled()) {
            SafeStage.add(builder, STAGE, Topics.CANDIDATES, Pipeline.CANDIDATES.serde(),
                    Topics.SCORED_CANDIDATES, Pipeline.SCORED_CANDIDATES.serde(), scorer::score, metrics);
        } else {
            BatchingStage.add(builder, STAGE, Topics.CANDIDATES, Pipeline.CANDIDATES.serde(),
                    new BatchScorer(scorer, batching),
                    new BatchingStage.Options(batching.maxRecords(), Duration.ofMillis(batching.maxWaitMs())), metrics);
        }
        return builder.build();
    }
}
