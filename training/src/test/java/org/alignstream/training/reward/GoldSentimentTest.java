package org.alignstream.training.reward;

import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.alignstream.inference.onnx.OnnxDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks the shipped gold head (models/reward-gold, e5-small-v2 features) against its training report. */
class GoldSentimentTest {

    private static final TrainingReport REPORT = TrainingReport.of("reward-gold");
    private static EncoderRewardModel gold;

    @BeforeAll
    static void load() {
        gold = RewardModels.goldSentiment(OnnxDevice.CPU, 1);
    }

    @AfterAll
    static void close() {
        gold.close();
    }

    @Test
    void loadsFromTheClasspathWithItsMetadataAndE5Encoder() {
        HeadMetadata m = RewardHeadOnnx.read(MeanPoolingEncoder.readResource(RewardModels.GOLD_SENTIMENT_HEAD_RESOURCE),
                "gold head").metadata();
        assertThat(m).isEqualTo(new HeadMetadata("gold-sentiment", REPORT.string("version"), RewardModel.FULL_SEQUENCE,
                384, MeanPoolingEncoder.E5_NAME));
        assertThat(gold.id()).isEqualTo("gold-sentiment");
        assertThat(gold.kind()).isEqualTo("full-sequence");
        assertThat(gold.encoder().name()).isEqualTo("e5-small-v2-int8").isNotEqualTo(MeanPoolingEncoder.MINILM_NAME);
        assertThat(gold.encoder().textPrefix()).isEqualTo("query: ");
    }

    @Test
    void positiveSentencesGetClearlyHigherRewards() {
        double[] pos = gold.score("", List.of("What a wonderful day, I am so happy!", "This is the best meal I have ever had.",
                "I love this song, it makes me smile."));
        double[] neg = gold.score("", List.of("This is awful, I hate it.", "The service was terrible and the food was cold.",
                "What a boring, miserable waste of time."));
        double minPositive = Arrays.stream(pos).min().orElseThrow();
        double maxNegative = Arrays.stream(neg).max().orElseThrow();
        assertThat(minPositive).isGreaterThan(maxNegative + 1.0).isPositive();
        assertThat(maxNegative).isNegative();
    }

    @Test
    void heldOutAccuracyAndAgreementWithTheProxyMatchTrainingReport() {
        LabelledSentences heldOut = REPORT.split().heldOut();
        assertThat(heldOut.size()).isEqualTo(REPORT.integer("heldout_size"));
        double[] scores = SentimentHeadTrainer.scores(gold, heldOut.sentences());
        int correct = SentimentHeadTrainer.correct(scores, heldOut.labels());
        assertThat((double) correct / heldOut.size()).isCloseTo(REPORT.number("heldout_accuracy"), within(0.015));
        Map<String, Object> byStyle = SentimentHeadTrainer.byStyle(heldOut, scores);
        assertThat(byStyle.keySet()).containsExactlyInAnyOrderElementsOf(REPORT.object("heldout_by_style").keySet());
        for (String style : byStyle.keySet()) {
            assertThat(((Map<?, ?>) byStyle.get(style)).get("correct")).as(style)
                    .isEqualTo(REPORT.object("heldout_by_style").getAsJsonObject(style).get("correct").getAsInt());
        }

        JsonObject recorded = REPORT.object("heldout_agreement_with_sentiment");
        try (EncoderRewardModel proxy = RewardModels.defaultSentiment(OnnxDevice.CPU, 1)) {
            Map<String, Object> measured = SentimentHeadTrainer.agreement(gold, proxy, heldOut);
            for (String key : List.of("spearman", "spearman_within_positive", "spearman_within_negative",
                    "pairwise_order_agreement", "sign_agreement")) {
                assertThat((Double) measured.get(key)).as(key).isCloseTo(recorded.get(key).getAsDouble(), within(0.02));
            }
            // related but not the same judge
            assertThat((Double) measured.get("spearman")).isBetween(0.5, 0.95);
            assertThat((Double) measured.get("pairwise_order_agreement")).isBetween(0.6, 0.95);
        }
    }

    @Test
    void isTrainedOnTheGoldSetAlone() {
        // the data spec names the gold directory only: no proxy file, not the original sentences
        assertThat(REPORT.string("data")).isEqualTo("../../training/data/sentiment/gold");
        assertThat(REPORT.data().styleNames()).containsExactly("dialogue", "narrative", "news", "review");
        assertThat(SentimentHeadTrainer.dataHash(REPORT.data())).isEqualTo(REPORT.string("data_sha256_prefix"));
    }

    @Test
    void aDirectoryWithTheGoldHeadLoadsTheE5Encoder(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("head.onnx"), MeanPoolingEncoder.readResource(RewardModels.GOLD_SENTIMENT_HEAD_RESOURCE));
        try (RewardModel fromDir = RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.RESPONSE)) {
            String text = "The staff were friendly and the room was spotless.";
            assertThat(fromDir.id()).isEqualTo("gold-sentiment");
            assertThat(fromDir.score("", text)).isCloseTo(gold.score("", text), within(1e-6));
        }
    }
}
