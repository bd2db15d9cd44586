package org.alignstream.training.reward;

import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.inference.onnx.OnnxDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxies of graded quality (models/reward-sentiment-25, -100, -noisy) beside the all-data proxy
 * (models/reward-sentiment), loaded from their directories as the evaluation loads them: their ids, training-set
 * sizes and label noise, and their held-out (per style) and gold-set accuracies recomputed from the shipped files.
 * All four read the same MiniLM features, so each batch of 16 is encoded once and every head applied to it (what
 * scoring through each model in the same batches computes).
 */
class GradedProxiesTest {

    static final List<String> DIRS = List.of("reward-sentiment", "reward-sentiment-100", "reward-sentiment-25",
            "reward-sentiment-noisy");
    private static final Map<String, EncoderRewardModel> MODELS = new LinkedHashMap<>();
    private static final Map<String, TrainingReport> REPORTS = new LinkedHashMap<>();

    @BeforeAll
    static void load() {
        for (String dir : DIRS) {
            RewardModel m = RewardModels.fromDirectory(Path.of("..", "models", dir), OnnxDevice.CPU, 1,
                    ScoredText.RESPONSE);
            MODELS.put(dir, (EncoderRewardModel) m);
            REPORTS.put(dir, TrainingReport.of(dir));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(RewardModel::close);
    }

    /** Scores of every model on {@code texts}, batches of 16 in list order, features computed once per batch. */
    private static Map<String, double[]> scores(List<String> texts) {
        Map<String, double[]> out = new LinkedHashMap<>();
        DIRS.forEach(d -> out.put(d, new double[texts.size()]));
        EncoderRewardModel first = MODELS.get(DIRS.get(0));
        for (int from = 0; from < texts.size(); from += SentimentHeadTrainer.BATCH) {
            float[][] f = first.features(texts.subList(from, Math.min(texts.size(), from + SentimentHeadTrainer.BATCH)));
            for (String d : DIRS) {
                System.arraycopy(MODELS.get(d).head().score(f), 0, out.get(d), from, f.length);
            }
        }
        return out;
    }

    private static void assertByStyle(String what, JsonObject recorded, Map<String, Object> measured) {
        assertThat(recorded.keySet()).as(what).containsExactlyInAnyOrderElementsOf(measured.keySet());
        for (String style : recorded.keySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) measured.get(style);
            assertThat(m.get("correct")).as("%s, %s", what, style)
                    .isEqualTo(recorded.getAsJsonObject(style).get("correct").getAsInt());
            assertThat(m.get("sentences")).as("%s, %s", what, style)
                    .isEqualTo(recorded.getAsJsonObject(style).get("sentences").getAsInt());
        }
    }

    @Test
    void idsTrainingSizesAndNoiseAreAsDesigned() {
        assertThat(MODELS.get("reward-sentiment-25").id()).isEqualTo("sentiment-25");
        assertThat(MODELS.get("reward-sentiment-100").id()).isEqualTo("sentiment-100");
        assertThat(MODELS.get("reward-sentiment-noisy").id()).isEqualTo("sentiment-noisy");
        assertThat(REPORTS.get("reward-sentiment-25").integer("train_size")).isEqualTo(25);
        assertThat(REPORTS.get("reward-sentiment-100").integer("train_size")).isEqualTo(100);
        TrainingReport all = REPORTS.get("reward-sentiment");
        TrainingReport noisy = REPORTS.get("reward-sentiment-noisy");
        assertThat(noisy.integer("train_size")).isEqualTo(all.integer("train_size"));
        assertThat(noisy.number("label_noise")).isEqualTo(0.3);
        assertThat(noisy.integer("labels_flipped")).isEqualTo((int) Math.round(0.3 * noisy.integer("train_size")));
        for (String dir : DIRS) {
            RewardModel m = MODELS.get(dir);
            assertThat(m.kind()).isEqualTo(RewardModel.FULL_SEQUENCE);
            assertThat(m.version()).isEqualTo(REPORTS.get(dir).string("version"));
            // one held-out split for all: same data, seed and fraction
            assertThat(REPORTS.get(dir).string("data_sha256_prefix")).isEqualTo(all.string("data_sha256_prefix"));
            assertThat(REPORTS.get(dir).integer("seed")).isEqualTo(all.integer("seed"));
        }
    }

    @Test
    void heldOutAndGoldSetAccuraciesPerStyleMatchTheReports() {
        LabelledSentences heldOut = REPORTS.get("reward-sentiment").split().heldOut();
        Map<String, double[]> held = scores(heldOut.sentences());
        JsonObject evalSet = REPORTS.get("reward-sentiment").object("eval_set");
        LabelledSentences gold = LabelledSentences.load(evalSet.get("data").getAsString(),
                REPORTS.get("reward-sentiment").dir());
        Map<String, double[]> goldScores = scores(gold.sentences());
        for (String dir : DIRS) {
            TrainingReport r = REPORTS.get(dir);
            assertThat(SentimentHeadTrainer.correct(held.get(dir), heldOut.labels())).as(dir)
                    .isEqualTo(r.integer("heldout_correct"));
            assertByStyle(dir + " held out", r.object("heldout_by_style"),
                    SentimentHeadTrainer.byStyle(heldOut, held.get(dir)));
            JsonObject e = r.object("eval_set");
            assertThat(e.get("data_sha256_prefix").getAsString()).isEqualTo(SentimentHeadTrainer.dataHash(gold));
            assertThat(SentimentHeadTrainer.correct(goldScores.get(dir), gold.labels())).as(dir + " on gold")
                    .isEqualTo(e.get("correct").getAsInt());
            assertByStyle(dir + " on gold", e.getAsJsonObject("by_style"),
                    SentimentHeadTrainer.byStyle(gold, goldScores.get(dir)));
        }
        // graded: 25 training sentences give a clearly worse proxy than all of them, on held-out and gold alike
        assertThat(REPORTS.get("reward-sentiment").number("heldout_accuracy"))
                .isGreaterThan(REPORTS.get("reward-sentiment-25").number("heldout_accuracy"));
        assertThat(REPORTS.get("reward-sentiment").object("eval_set").get("accuracy").getAsDouble())
                .isGreaterThan(REPORTS.get("reward-sentiment-25").object("eval_set").get("accuracy").getAsDouble());
    }
}
