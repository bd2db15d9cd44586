package org.alignstream.harness;

import java.util.List;
import java.util.Objects;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.alignstream.generator.CandidateSampler;
import org.alignstream.generator.GeneratorTopology;
import org.alignstream.generator.RequestLimits;
import org.alignstream.generator.StepProposer;
import org.alignstream.scorer.CandidateScorer;
import org.alignstream.scorer.RewardModelRegistry;
import org.alignstream.scorer.ScorerConfig;
import org.alignstream.scorer.ScorerTopology;
import org.alignstream.selector.SelectorTopology;

/**
 * The pipeline's computation without Kafka: the generator's, scorer's and selector's own stage functions called in a
 * loop in this thread, the selector's output fed straight back to the generator until it answers. The reference a
 * run through the broker must equal token for token, and the baseline of the tokenwise benchmark.
 */
public final class BareDecodingLoop {

    private final RequestLimits limits;
    private final CandidateSampler sampler;
    private final StepProposer proposer;
    private final CandidateScorer scorer;
    private final StageMetrics generatorMetrics = new StageMetrics(GeneratorTopology.STAGE);

    /** Uses the given (already loaded) models and the scorer's default credit options; closes nothing. */
    public BareDecodingLoop(RequestLimits limits, CandidateSampler sampler, StepProposer proposer,
                            RewardModelRegistry rewardModels) {
        this(limits, sampler, proposer, rewardModels, ScorerConfig.CreditOptions.DEFAULT);
    }

    /** Uses the given (already loaded) models and the scorer's credit options; closes nothing. */
    public BareDecodingLoop(RequestLimits limits, CandidateSampler sampler, StepProposer proposer,
                            RewardModelRegistry rewardModels, ScorerConfig.CreditOptions credit) {
        Objects.requireNonNull(credit, "credit");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.sampler = Objects.requireNonNull(sampler, "sampler");
        this.proposer = Objects.requireNonNull(proposer, "proposer");
        this.scorer = new CandidateScorer(Objects.requireNonNull(rewardModels, "rewardModels"),
                ScorerConfig.Limits.DEFAULT, credit, new StageMetrics(ScorerTopology.STAGE));
    }

    /** The aligned response to one request, as the pipeline would answer it. */
    public AlignedResponse run(PromptRequest request) {
        CandidateSet set = GeneratorTopology.generate(request, limits, sampler, proposer, generatorMetrics);
        for (int round = 0; ; round++) {
            ScoredCandidateSet scored = scorer.score(set);
            List<StageOutput> outputs = SelectorTopology.route(scored, System.currentTimeMillis());
            StageOutput out = outputs.get(0);
            if (out.topic().equals(Topics.ALIGNED_RESPONSES)) {
                return (AlignedResponse) out.value();
            }
            DecodeState state = (DecodeState) out.value();
            limits.validate(state);
            set = GeneratorTopology.propose(state, proposer, generatorMetrics);
            if (round > request.getStrategy().getMaxNewTokens()) {
                throw new IllegalStateException("request " + request.getId() + " did not finish within max_new_tokens "
                        + "rounds");
            }
        }
    }
}
