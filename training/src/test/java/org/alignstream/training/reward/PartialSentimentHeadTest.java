package org.alignstream.training.reward;

import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.PrefixPairs;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.inference.onnx.OnnxDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the shipped partial-sequence head (models/reward-sentiment-partial) against its training
 * report and model card, and against the full-sequence head on the same held-out prefix pairs.
 * Held-out pairs are within one style and the trainer scores each style on its own, so this test
 * re-scores one style ({@value #STYLE}, the original 424 sentences' held-out part) and checks that
 * style's figures; the card's table is checked against the report's totals.
 */
class PartialSentimentHeadTest {

    static final String STYLE = "original";
    private static final TrainingReport REPORT = TrainingReport.of("reward-sentiment-partial");
    private static EncoderRewardModel partial;
    private static EncoderRewardModel full;
    private static LabelledSentences heldOut;
    private static Map<String, PrefixPairs.Tally> partialTallies;
    private static Map<String, PrefixPairs.Tally> fullTallies;

    @BeforeAll
    static void scoreHeldOutPrefixes() {
        partial = RewardModels.defaultSentimentPartial(OnnxDevice.CPU, 1);
        full = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
        heldOut = REPORT.split().heldOut();
        LabelledSentences style = heldOut.ofStyle(STYLE);
        List<String> texts = PrefixPairs.prefixTexts(style);
        List<PrefixPairs.Pair> pairs = PrefixPairs.all(style);
        // Both heads read the same MiniLM features: encode once (batches of 16, prefixTexts order of this style's
        // held-out sentences, as the trainer does) and apply each head, which is what score() does.
        assertThat(full.encoder().name()).isEqualTo(partial.encoder().name());
        float[][] features = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += SentimentHeadTrainer.BATCH) {
            List<String> batch = texts.subList(from, Math.min(texts.size(), from + SentimentHeadTrainer.BATCH));
            float[][] f = partial.features(batch);
            System.arraycopy(f, 0, features, from, f.length);
            if (from == 0) {
                assertThat(partial.score("", batch)).containsExactly(partial.head().score(f));
                assertThat(full.score("", batch)).containsExactly(full.head().score(f));
            }
        }
        partialTallies = PrefixPairs.accuracyByBucket(style, pairs, byText(texts, partial.head().score(features)));
        fullTallies = PrefixPairs.accuracyByBucket(style, pairs, byText(texts, full.head().score(features)));
    }

    private static Map<String, Double> byText(List<String> texts, double[] scores) {
        Map<String, Double> m = new java.util.HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            m.put(texts.get(i), scores[i]);
        }
        return m;
    }

    @AfterAll
    static void close() {
        partial.close();
        full.close();
    }

    @Test
    void loadsFromTheClasspathWithItsMetadata() {
        HeadMetadata m = RewardHeadOnnx.read(MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_PARTIAL_HEAD_RESOURCE),
                "partial head").metadata();
        assertThat(m).isEqualTo(new HeadMetadata("sentiment-partial", REPORT.string("version"),
                RewardModel.PARTIAL_SEQUENCE, 384, MeanPoolingEncoder.MINILM_NAME));
        assertThat(RewardModel.PARTIAL_SEQUENCE).isEqualTo("partial-sequence");
        assertThat(partial.id()).isEqualTo("sentiment-partial");
        assertThat(partial.kind()).isEqualTo("partial-sequence");
        assertThat(partial.encoder().name()).isEqualTo(MeanPoolingEncoder.MINILM_NAME);
        assertThat(partial.encoder().dimension()).isEqualTo(384);
    }

    @Test
    void clearlyPositiveTextsScoreAboveClearlyNegativeOnesAlsoAsPrefixes() {
        double[] pos = partial.score("", List.of("What a wonderful day, I am so happy!", "I love this song, it makes me smile.",
                "What a wonderful", "I love this"));
        double[] neg = partial.score("", List.of("This is awful, I hate it.", "I am so sad and disappointed.",
                "This is awful", "I am so sad"));
        assertThat(Arrays.stream(pos).min().orElseThrow()).isGreaterThan(Arrays.stream(neg).max().orElseThrow());
        assertThat(pos[0]).isPositive();
        assertThat(neg[0]).isNegative();
    }

    @Test
    void heldOutFullSentenceAccuracyMatchesTrainingReport() {
        int correct = SentimentHeadTrainer.correct(partial, heldOut);
        assertThat(heldOut.size()).isEqualTo(REPORT.integer("heldout_size"));
        assertThat((double) correct / heldOut.size()).isCloseTo(REPORT.number("heldout_accuracy"), within(0.015));
        assertThat(SentimentHeadTrainer.correct(full, heldOut))
                .isCloseTo(REPORT.integer("compared_heldout_correct"), within(1));
    }

    @Test
    void heldOutPrefixPairAccuracyByBucketMatchesTrainingReportForBothHeads() {
        JsonObject partialReport = REPORT.object("heldout_prefix_pair_accuracy_by_style").getAsJsonObject(STYLE);
        JsonObject fullReport = REPORT.object("compared_heldout_prefix_pair_accuracy_by_style").getAsJsonObject(STYLE);
        assertThat(REPORT.string("compared_reward_id")).isEqualTo("sentiment");
        assertThat(partialTallies.keySet()).containsExactlyElementsOf(partialReport.keySet());
        for (String bucket : partialTallies.keySet()) {
            JsonObject p = partialReport.getAsJsonObject(bucket);
            JsonObject f = fullReport.getAsJsonObject(bucket);
            assertThat(partialTallies.get(bucket).pairs()).as(bucket).isEqualTo(p.get("pairs").getAsInt());
            assertThat(partialTallies.get(bucket).accuracy()).as("sentiment-partial, bucket %s", bucket)
                    .isCloseTo(p.get("accuracy").getAsDouble(), within(0.005));
            assertThat(fullTallies.get(bucket).accuracy()).as("sentiment, bucket %s", bucket)
                    .isCloseTo(f.get("accuracy").getAsDouble(), within(0.005));
        }
        // the totals are the sum over the styles
        JsonObject total = REPORT.object("heldout_prefix_pair_accuracy");
        for (String bucket : total.keySet()) {
            int pairs = 0;
            for (String style : REPORT.object("heldout_prefix_pair_accuracy_by_style").keySet()) {
                pairs += REPORT.object("heldout_prefix_pair_accuracy_by_style").getAsJsonObject(style)
                        .getAsJsonObject(bucket).get("pairs").getAsInt();
            }
            assertThat(pairs).as(bucket).isEqualTo(total.getAsJsonObject(bucket).get("pairs").getAsInt());
        }
    }

    @Test
    void shortPrefixAccuraciesAreWhatTheModelCardSays() throws Exception {
        // the card's table row: | 1-4 (short) | pairs | partial accuracy | full accuracy |, from the report's totals
        String card = Files.readString(REPORT.dir().resolve("MODEL_CARD.md"), StandardCharsets.UTF_8);
        JsonObject p = REPORT.object("heldout_prefix_pair_accuracy");
        JsonObject f = REPORT.object("compared_heldout_prefix_pair_accuracy");
        for (String bucket : List.of("1", "2", "3-4", PrefixPairs.SHORT)) {
            Matcher row = Pattern.compile("(?m)^\\| " + Pattern.quote(bucket) + "( \\(short\\))? \\| ([0-9,]+) \\| \\**([0-9.]+)\\** \\| \\**([0-9.]+)\\** \\|")
                    .matcher(card);
            assertThat(row.find()).as("card row for bucket %s", bucket).isTrue();
            assertThat(Integer.parseInt(row.group(2).replace(",", ""))).isEqualTo(p.getAsJsonObject(bucket).get("pairs").getAsInt());
            assertThat(row.group(3)).as("sentiment-partial, bucket %s", bucket)
                    .isEqualTo(String.format(Locale.ROOT, "%.3f", p.getAsJsonObject(bucket).get("accuracy").getAsDouble()));
            assertThat(row.group(4)).as("sentiment, bucket %s", bucket)
                    .isEqualTo(String.format(Locale.ROOT, "%.3f", f.getAsJsonObject(bucket).get("accuracy").getAsDouble()));
        }
    }
}
