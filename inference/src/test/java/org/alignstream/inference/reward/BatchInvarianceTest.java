package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.inference.onnx.Fixtures;
import org.alignstream.inference.onnx.OnnxDevice;
import org.junit.jupiter.api.Test;

/**
 * The batch-invariance check on real ONNX models: the fp32 tiny classifier (ops/reward-fixture) is invariant and its
 * merged batches are bit-identical to per-group scoring; the shipped int8 MiniLM models (dynamic quantisation over the
 * whole batch) are detected as not invariant, by the probe and by the graph.
 */
class BatchInvarianceTest {

    private static final List<String> MATES = List.of("a", "I hate it.",
            "The film was really very good and I enjoyed the story a lot, but the food was terrible.");

    @Test
    void fp32ClassifierIsInvariantAndMergedGroupsEqualGroupsAloneBitForBit() throws Exception {
        for (ScoredText scoredText : ScoredText.values()) {
            try (RewardModel model = RewardModels.fromDirectory(Fixtures.fixture("tiny-classifier"), OnnxDevice.CPU, 1,
                    scoredText)) {
                assertThat(model.quantisesOverBatch()).isFalse();
                assertThat(BatchInvariance.probe(model)).isNull();
                BatchInvariance.Verdict verdict = BatchInvariance.check(model);
                assertThat(verdict.invariant()).as(verdict.detail()).isTrue();
                assertThat(verdict.mode()).isEqualTo("merged");

                List<RewardModel.Group> groups = new ArrayList<>();
                for (int g = 0; g < 6; g++) {
                    List<String> texts = new ArrayList<>();
                    for (int i = 0; i <= g; i++) {
                        texts.add(MATES.get((g + i) % MATES.size()) + " " + "very ".repeat(g * i));
                    }
                    groups.add(new RewardModel.Group("tell me about the day " + g, texts, RewardModel.Outputs.REWARDS));
                }
                List<RewardModel.Scores> merged = model.scoreGroups(groups);
                for (int g = 0; g < groups.size(); g++) {
                    double[] alone = model.score(groups.get(g).prompt(), groups.get(g).responses());
                    assertThat(merged.get(g).rewards()).as("group %d, %s", g, scoredText).isEqualTo(alone);
                }
            }
        }
    }

    @Test
    void int8MiniLmModelsAreDetectedAsNotInvariant() {
        try (EncoderRewardModel sentiment = RewardModels.defaultSentiment(OnnxDevice.CPU, 1, true);
             TokenLevelRewardModel token = RewardModels.sentimentTokenSharing(sentiment.encoder(), OnnxDevice.CPU, 1)) {
            for (RewardModel model : List.of(sentiment, token)) {
                assertThat(model.quantisesOverBatch()).as(model.id()).isTrue();
                assertThat(BatchInvariance.probe(model)).as(model.id()).isNotNull().contains("alone and");
                BatchInvariance.Verdict verdict = BatchInvariance.check(model);
                assertThat(verdict.invariant()).isFalse();
                assertThat(verdict.merges()).isTrue();
                assertThat(verdict.mode()).isEqualTo("per-record");
                assertThat(verdict.detail()).contains(BatchInvariance.DYNAMIC_QUANTIZE);
            }
        }
    }

    /** One group through the batch path is exactly the single-group path (rewards, embeddings, credit). */
    @Test
    void oneGroupThroughTheBatchPathIsTheSingleGroupPath() {
        try (EncoderRewardModel sentiment = RewardModels.defaultSentiment(OnnxDevice.CPU, 1, true);
             TokenLevelRewardModel token = RewardModels.sentimentTokenSharing(sentiment.encoder(), OnnxDevice.CPU, 1)) {
            for (RewardModel model : List.of(sentiment, token)) {
                for (RewardModel.Outputs outputs : List.of(RewardModel.Outputs.REWARDS,
                        new RewardModel.Outputs(true, true, 0.5), new RewardModel.Outputs(false, true, 0.3))) {
                    RewardModel.Scores single = model.score("p", MATES, outputs);
                    RewardModel.Scores batched = model.scoreGroups(
                            List.of(new RewardModel.Group("p", MATES, outputs))).get(0);
                    assertThat(BatchInvariance.differs(single, batched, MATES)).as("%s %s", model.id(), outputs).isNull();
                }
            }
        }
    }

    @Test
    void aModelWithoutAMergedPathIsNotMerged() {
        RewardModel plain = new RewardModel() {
            public String id() { return "plain"; }
            public String version() { return "1"; }
            public String kind() { return FULL_SEQUENCE; }
            public double[] score(String prompt, List<String> responses) { return new double[responses.size()]; }
            public float[][] embed(List<String> texts) { throw new UnsupportedOperationException(); }
            public boolean hasEmbeddings() { return false; }
            public void close() { }
        };
        BatchInvariance.Verdict verdict = BatchInvariance.check(plain);
        assertThat(verdict.merges()).isFalse();
        assertThat(verdict.invariant()).isFalse();
        assertThat(plain.scoreGroups(List.of(new RewardModel.Group("", List.of("a", "b"), RewardModel.Outputs.REWARDS),
                new RewardModel.Group("", List.of("c"), RewardModel.Outputs.REWARDS))))
                .extracting(s -> s.rewards().length).containsExactly(2, 1);
    }
}
