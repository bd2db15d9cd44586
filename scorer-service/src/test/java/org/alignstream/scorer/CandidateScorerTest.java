package org.alignstream.scorer;

import static org.alignstream.scorer.ScorerTopologyTest.candidateSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.InvalidRecordException;
import org.junit.jupiter.api.Test;

/** The candidate scorer called directly, without Kafka (as the bare decoding loop calls it). */
class CandidateScorerTest {

    private final ScorerTopologyTest.LengthRewardModel rewardModel = new ScorerTopologyTest.LengthRewardModel();
    private final StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);

    private CandidateScorer scorer(ScorerConfig.Limits limits) {
        return new CandidateScorer(new RewardModelRegistry(rewardModel), limits, ScorerConfig.CreditOptions.DEFAULT,
                metrics);
    }

    @Test
    void scoresEveryCandidateInOneCallAndStampsTheModel() {
        ScoredCandidateSet scored = scorer(ScorerConfig.Limits.DEFAULT)
                .score(candidateSet("r1", "She was", List.of("a", "bbbb", "cc")));

        assertThat(scored.getRewards()).containsExactly(1.0, 4.0, 2.0);
        assertThat(rewardModel.batches).containsExactly(List.of("a", "bbbb", "cc"));
        assertThat(scored.getRewardModel().getId()).isEqualTo("fake-length");
        assertThat(scored.getRewardModel().getVersion()).isEqualTo("v3");
        assertThat(scored.getTimingsMs()).containsKeys("generator", ScorerTopology.STAGE);
    }

    @Test
    void aSetOverTheLimitsIsInvalidAndNeverReachesTheModel() {
        CandidateScorer scorer = scorer(new ScorerConfig.Limits(2, 50));

        assertThatThrownBy(() -> scorer.score(candidateSet("r1", "She was", List.of("a", "b", "c"))))
                .isInstanceOf(InvalidRecordException.class);
        assertThat(rewardModel.batches).isEmpty();
    }

    @Test
    void rewardsThatDoNotFitTheCandidatesFail() {
        assertThatThrownBy(() -> scorer(ScorerConfig.Limits.DEFAULT)
                .score(candidateSet("r1", "short", List.of("a", "bb"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("1 rewards for 2 candidates");
    }
}
