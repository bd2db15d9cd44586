package org.alignstream.scorer;

import static org.alignstream.scorer.ScorerTopologyTest.CANDIDATES;
import static org.alignstream.scorer.ScorerTopologyTest.SCORED;
import static org.alignstream.scorer.ScorerTopologyTest.candidateSet;
import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.TokenCredit;
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

    static final String HATED = "I absolutely hated this terrible, boring movie.";

    private static RewardModel rewardModel;
    private static RewardModel withAttention;

    @BeforeAll
    static void load() {
        rewardModel = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
        withAttention = RewardModels.defaultSentiment(OnnxDevice.CPU, 1, true);
    }

    @AfterAll
    static void close() {
        if (rewardModel != null) {
            rewardModel.close();
        }
        if (withAttention != null) {
            withAttention.close();
        }
    }

    private static ScoredCandidateSet scoreThroughTheTopology(RewardModel model, ScorerConfig.CreditOptions credit,
                                                              CandidateSet set) {
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        try (StageTestDriver driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT.withCredit(credit),
                new RewardModelRegistry(model), metrics), ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES)) {
            driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
            ScoredCandidateSet scored = SCORED.decode(driver.output().readValue());
            assertThat(driver.output().isEmpty()).isTrue();
            assertThat(metrics.inferences(model.id())).isEqualTo(1);
            return scored;
        }
    }

    @Test
    void creditFromTheSamePassLeavesRewardsBitIdenticalAndSumsToThem() {
        List<String> texts = List.of(HATED, "What a wonderful, delightful day! I am so happy and grateful.",
                "It was a day.", "The food was cold and the waiter was rude, but the view was lovely.", "");
        CandidateSet set = candidateSet("credit", "How was it?", texts);
        ScoredCandidateSet old = scoreThroughTheTopology(rewardModel, ScorerConfig.CreditOptions.DEFAULT, set);
        ScoredCandidateSet credited = scoreThroughTheTopology(withAttention, ScorerConfig.CreditOptions.DEFAULT, set);
        ScoredCandidateSet off = scoreThroughTheTopology(withAttention, ScorerConfig.CreditOptions.OFF, set);

        assertThat(old.getTokenCredits()).isEmpty(); // the plain encoder has no attention: no credit
        assertThat(off.getTokenCredits()).isEmpty();
        assertThat(credited.getRewards()).isEqualTo(old.getRewards()).isEqualTo(off.getRewards());
        assertThat(credited.getTokenCredits()).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            List<TokenCredit> c = credited.getTokenCredits().get(i);
            double sum = c.stream().mapToDouble(TokenCredit::getCredit).sum();
            if (texts.get(i).isEmpty()) {
                assertThat(c).isEmpty();
            } else {
                assertThat(sum).isCloseTo(credited.getRewards().get(i), within(1e-9));
            }
        }
        // the tokens as the reward tokenizer wrote them, and the negative words most negative (the last token,
        // '.', holds the (1 - beta) share of R by construction)
        List<TokenCredit> hated = credited.getTokenCredits().get(0);
        assertThat(hated).extracting(TokenCredit::getToken)
                .containsExactly("i", "absolutely", "hated", "this", "terrible", ",", "boring", "movie", ".");
        assertThat(hated.subList(0, hated.size() - 1).stream().sorted(java.util.Comparator.comparingDouble(
                TokenCredit::getCredit)).limit(3).map(TokenCredit::getToken)).containsExactlyInAnyOrder("hated",
                "terrible", "boring");
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
        try (StageTestDriver driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT,
                new RewardModelRegistry(rewardModel), metrics),
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
