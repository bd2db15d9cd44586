package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.reward.RewardModel.Outputs;
import org.alignstream.inference.reward.RewardModel.Scores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenLevelRewardModelTest {

    private static final HeadMetadata TOKEN_META = new HeadMetadata("toy-token", "4", RewardModel.TOKEN_LEVEL, 384,
            MeanPoolingEncoder.MINILM_NAME);
    private static final List<String> TEXTS = List.of("I absolutely hated this terrible, boring movie.", "Nice.", "",
            "The service at this restaurant was slow but the food was good.");

    private static OrtSessions sessions;
    private static LinearHead linear;
    private static TokenLevelRewardModel model;

    @BeforeAll
    static void load() {
        sessions = OrtSessions.cpu(1);
        LinearHead random = RewardHeadOnnxTest.randomHead(17);
        double[] w = random.weights();
        for (int i = 0; i < w.length; i++) {
            w[i] *= 0.01; // token states are not unit length: keep per-token rewards moderate
        }
        linear = new LinearHead(w, 0.05, TOKEN_META);
        model = new TokenLevelRewardModel(MeanPoolingEncoder.miniLm(sessions),
                RewardHead.load(sessions, RewardHeadOnnx.write(linear), "toy token head"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void rewardIsTheHeadSummedOverTheResponseTokenStates() {
        double[] rewards = model.score("prompt is ignored", TEXTS);
        TokenStates states = model.encoder().encodeStates(TEXTS);
        for (int b = 0; b < TEXTS.size(); b++) {
            double expected = 0;
            for (float[] row : states.responseStates(b)) {
                expected += linear.apply(row);
            }
            assertThat(rewards[b]).as(TEXTS.get(b)).isCloseTo(expected, within(1e-4)); // float32 Gemm vs double
        }
        assertThat(rewards[2]).isZero(); // no response token
        assertThat(model.kind()).isEqualTo(RewardModel.TOKEN_LEVEL);
        assertThat(model.id()).isEqualTo("toy-token");
        assertThat(model.version()).isEqualTo("4");
    }

    @Test
    void creditIsThePerTokenRewardAndSumsExactlyToTheRewardFromOnePass() {
        Scores scores = model.score("", TEXTS, new Outputs(true, true, 0.5));
        assertThat(model.hasTokenCredit()).isTrue();
        assertThat(scores.rewards()).containsExactly(model.score("", TEXTS));
        float[][] pooled = model.encoder().encode(TEXTS);
        for (int b = 0; b < TEXTS.size(); b++) {
            ResponseCredit c = scores.credits().get(b);
            assertThat(c.sum()).isEqualTo(scores.rewards()[b]);
            assertThat(scores.embeddings()[b]).containsExactly(pooled[b]);
        }
        assertThat(scores.credits().get(1).tokens()).containsExactly("nice", ".");
        assertThat(scores.credits().get(2).size()).isZero();
        List<ResponseCredit> direct = model.tokenRewards(TEXTS);
        assertThat(direct.get(0).credits()).containsExactly(scores.credits().get(0).credits());
        assertThat(model.scoreAndEmbed("", TEXTS).rewards()).containsExactly(scores.rewards());
        assertThat(model.score("", TEXTS, Outputs.REWARDS).credits()).isNull();
    }

    @Test
    void aNewHeadSharesTheEncoderAndHeadKindsAreChecked() {
        LinearHead doubled = new LinearHead(scaled(linear.weights(), 2), 2 * linear.bias(),
                new HeadMetadata("toy-token", "5", RewardModel.TOKEN_LEVEL, 384, MeanPoolingEncoder.MINILM_NAME));
        TokenLevelRewardModel v5 = model.withHead(RewardHead.load(sessions, RewardHeadOnnx.write(doubled), "v5"));
        assertThat(v5.encoder()).isSameAs(model.encoder());
        assertThat(v5.ownsEncoder()).isFalse();
        double[] r4 = model.score("", TEXTS);
        double[] r5 = v5.score("", TEXTS);
        for (int b = 0; b < TEXTS.size(); b++) {
            assertThat(r5[b]).isCloseTo(2 * r4[b], within(1e-4));
        }
        v5.close();
        assertThat(model.score("", List.of("Still open."))).hasSize(1); // closing v5 left the encoder open

        byte[] fullSequence = RewardHeadOnnx.write(RewardHeadOnnxTest.randomHead(3));
        assertThatThrownBy(() -> model.withHead(RewardHead.load(sessions, fullSequence, "full")))
                .hasMessageContaining("a token-level model needs kind 'token-level'");
        byte[] token = RewardHeadOnnx.write(linear);
        assertThatThrownBy(() -> new EncoderRewardModel(MeanPoolingEncoder.miniLm(sessions),
                RewardHead.load(sessions, token, "token"), ScoredText.RESPONSE))
                .hasMessageContaining("is token-level: it scores token states");
    }

    private static double[] scaled(double[] w, double k) {
        double[] out = w.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= k;
        }
        return out;
    }
}
