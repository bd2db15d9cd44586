package org.alignstream.scorer;

import static org.alignstream.scorer.ScorerTopologyTest.CANDIDATES;
import static org.alignstream.scorer.ScorerTopologyTest.SCORED;
import static org.alignstream.scorer.ScorerTopologyTest.candidateSet;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.testing.StageTestDriver;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scorer topology with the REAL default reward model (MiniLM-L6 int8 features + the shipped sentiment head). */
class ScorerRealModelTest {

    private static RewardModel rewardModel;

    @BeforeAll
    static void load() {
        rewardModel = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
    }

    @AfterAll
    static void close() {
        if (rewardModel != null) {
            rewardModel.close();
        }
    }

    @Test
    void positiveSentenceGetsTheHigherRewardAndRewardsEqualADirectBatchCall() {
        String prompt = "How was your day?";
        List<String> texts = List.of(
                "This is terrible and awful, I hate it, everything went wrong and I am miserable.",
                "What a wonderful, delightful day! I am so happy and grateful, everything was lovely.",
                "It was a day.");
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        ScoredCandidateSet scored;
        try (StageTestDriver driver = new StageTestDriver(ScorerTopology.build(rewardModel, metrics),
                ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES)) {
            driver.pipe("day", CANDIDATES.encode(candidateSet("day", prompt, texts)));
            scored = SCORED.decode(driver.output().readValue());
            assertThat(driver.output().isEmpty()).isTrue();
        }

        List<Double> rewards = scored.getRewards();
        assertThat(rewards).hasSize(3).allSatisfy(r -> assertThat(r).isFinite());
        assertThat(rewards.get(1)).as("positive beats negative").isGreaterThan(rewards.get(0));

        double[] direct = rewardModel.score(prompt, texts);
        assertThat(rewards).containsExactly(direct[0], direct[1], direct[2]);

        assertThat(scored.getRewardModel()).isEqualTo(new ModelRef(rewardModel.id(), rewardModel.version()));
        assertThat(metrics.inferences(rewardModel.id())).isEqualTo(1);
    }
}
