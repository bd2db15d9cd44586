package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.RewardModel.Outputs;
import org.alignstream.inference.reward.RewardModel.Scores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled {@code sentiment} reward with its encoder exposing attention: per-token credit from the same pass, rewards
 * bit-identical to the plain model's, credits summing to the reward.
 */
class DenseCreditRewardTest {

    static final String HATED = "I absolutely hated this terrible, boring movie.";

    private static EncoderRewardModel plain;
    private static EncoderRewardModel exposing;
    private static List<String> sentences;

    @BeforeAll
    static void load() {
        plain = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
        exposing = RewardModels.defaultSentiment(OnnxDevice.CPU, 1, true);
        sentences = LabelledSentences.load(Path.of("../models/reward-sentiment/sentences.tsv")).sentences().subList(0, 48);
    }

    @AfterAll
    static void close() {
        plain.close();
        exposing.close();
    }

    @Test
    void rewardsAreBitIdenticalToThePlainModelWithAndWithoutCredit() {
        assertThat(plain.hasTokenCredit()).isFalse();
        assertThat(exposing.hasTokenCredit()).isTrue();
        for (int start = 0; start < sentences.size(); start += 16) {
            List<String> batch = sentences.subList(start, start + 16);
            double[] old = plain.score("", batch);
            assertThat(exposing.score("", batch)).containsExactly(old);
            Scores scores = exposing.score("", batch, new Outputs(true, true, 0.5));
            assertThat(scores.rewards()).containsExactly(old);
            float[][] embeddings = plain.embed(batch);
            for (int i = 0; i < batch.size(); i++) {
                assertThat(scores.embeddings()[i]).containsExactly(embeddings[i]);
            }
            // the plain model gives no credit and the same rewards through the same call
            Scores none = plain.score("", batch, new Outputs(false, true, 0.5));
            assertThat(none.rewards()).containsExactly(old);
            assertThat(none.credits()).isNull();
            assertThat(none.embeddings()).isNull();
        }
    }

    @Test
    void creditsCoverTheResponseTokensAndSumToTheReward() {
        for (double beta : new double[] {0, 0.5, 1}) {
            Scores scores = exposing.score("ignored prompt", sentences.subList(0, 16), new Outputs(false, true, beta));
            assertThat(scores.embeddings()).isNull();
            assertThat(scores.credits()).hasSize(16);
            for (int i = 0; i < 16; i++) {
                ResponseCredit c = scores.credits().get(i);
                TokenBatch alone = exposing.encoder().tokenizer().encode(List.of(sentences.get(i)));
                List<String> all = alone.tokens(0);
                assertThat(c.tokens()).isEqualTo(all.subList(1, all.size() - 1)); // no [CLS], no [SEP]
                assertThat(c.sum()).isCloseTo(scores.rewards()[i], within(1e-9));
                double r = scores.rewards()[i];
                for (int t = 0; t < c.size() - 1; t++) {
                    assertThat(c.credits()[t] * Math.signum(r)).isGreaterThanOrEqualTo(0); // a_t R, a_t >= 0
                }
                if (beta == 0) {
                    assertThat(c.credits()[c.size() - 1]).isEqualTo(r);
                }
            }
        }
    }

    @Test
    void theNegativeWordsGetTheMostNegativeCredit() {
        Scores scores = exposing.score("", List.of(HATED, "What a wonderful, delightful day! I am so happy."),
                new Outputs(false, true, 0.5));
        assertThat(scores.rewards()[0]).isNegative();
        ResponseCredit c = scores.credits().get(0);
        assertThat(c.tokens()).containsExactly("i", "absolutely", "hated", "this", "terrible", ",", "boring", "movie", ".");
        // the last token holds the (1 - beta) share of R; of the others, the three most negative are the negative words
        assertThat(mostNegative(c, c.size() - 1, 3)).containsExactlyInAnyOrder("hated", "terrible", "boring");
        // with every bit of the reward spread by attention, they are the three most negative of all
        ResponseCredit byAttention = exposing.score("", List.of(HATED), new Outputs(false, true, 1.0)).credits().get(0);
        assertThat(mostNegative(byAttention, byAttention.size(), 3)).containsExactlyInAnyOrder("hated", "terrible",
                "boring");
        // and in the positive sentence the positive words get the most positive credit
        ResponseCredit happy = scores.credits().get(1);
        List<String> top = IntStream.range(0, happy.size() - 1).boxed()
                .sorted(Comparator.comparingDouble(t -> -happy.credits()[t])).limit(3).map(happy.tokens()::get).toList();
        assertThat(top).contains("delightful", "happy");
    }

    @Test
    void emptyResponsesHaveNoCreditAndInputsAreChecked() {
        Scores scores = exposing.score("", List.of("", "Fine."), new Outputs(false, true, 0.5));
        assertThat(scores.credits().get(0).size()).isZero();
        assertThat(scores.credits().get(1).tokens()).containsExactly("fine", ".");
        assertThat(exposing.score("", List.of(), new Outputs(true, true, 0.5)).rewards()).isEmpty();
        assertThatThrownBy(() -> new Outputs(false, true, 1.5)).hasMessageContaining("credit beta must be in [0, 1]");
        assertThatThrownBy(() -> plain.encoder().encodeWithAttention(List.of("x")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not output last_layer_attention");
    }

    @Test
    void e5sTextPrefixIsNotPartOfTheResponse() {
        try (MeanPoolingEncoder e5 = MeanPoolingEncoder.e5SmallV2(org.alignstream.inference.onnx.OrtSessions.cpu(1))) {
            TokenStates states = e5.encodeStates(List.of("Nice film.", ""));
            assertThat(states.tokens().tokens(0)).startsWith("[CLS]", "query", ":");
            assertThat(states.responseTokens(0)).containsExactly("nice", "film", ".");
            assertThat(states.responseTokens(1)).isEmpty();
            assertThat(states.responseStates(0)).hasNumberOfRows(3);
            assertThat(states.responseStates(0)[0]).hasSize(384).isEqualTo(states.state(0, 3));
        }
    }

    private static List<String> mostNegative(ResponseCredit c, int among, int k) {
        return IntStream.range(0, among).boxed().sorted(Comparator.comparingDouble(t -> c.credits()[t])).limit(k)
                .map(c.tokens()::get).toList();
    }
}
