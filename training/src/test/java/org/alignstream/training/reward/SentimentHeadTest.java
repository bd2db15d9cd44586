package org.alignstream.training.reward;

import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.RewardModels;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import com.google.gson.JsonObject;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.inference.onnx.OnnxDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checks the shipped default head (models/reward-sentiment) against its data and its training report. */
class SentimentHeadTest {

    private static final Path DIR = Path.of("..", "models", "reward-sentiment");
    private static EncoderRewardModel model;

    @BeforeAll
    static void load() {
        model = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void positiveSentencesGetClearlyHigherRewards() {
        List<String> positive = List.of("What a wonderful day, I am so happy!", "This is the best meal I have ever had.",
                "Thank you, your help was fantastic and I really appreciate it.", "I love this song, it makes me smile.");
        List<String> negative = List.of("This is awful, I hate it.", "The service was terrible and the food was cold.",
                "I am so sad and disappointed.", "What a boring, miserable waste of time.");
        double[] pos = model.score("", positive);
        double[] neg = model.score("", negative);
        double minPositive = java.util.Arrays.stream(pos).min().orElseThrow();
        double maxNegative = java.util.Arrays.stream(neg).max().orElseThrow();
        assertThat(minPositive).as("weakest positive vs strongest negative").isGreaterThan(maxNegative + 1.0);
        assertThat(minPositive).isPositive();
        assertThat(maxNegative).isNegative();
        assertThat(model.id()).isEqualTo("sentiment");
        assertThat(model.kind()).isEqualTo("full-sequence");
    }

    @Test
    void heldOutAccuracyOverallAndPerStyleMatchesTrainingReport() throws Exception {
        String json = Files.readString(DIR.resolve("training.json"), StandardCharsets.UTF_8);
        TrainingReport report = TrainingReport.of("reward-sentiment");
        LabelledSentences.Split split = report.split();
        assertThat(SentimentHeadTrainer.dataHash(report.data())).isEqualTo(report.string("data_sha256_prefix"));
        assertThat(split.heldOut().size()).isEqualTo(Integer.parseInt(field(json, "heldout_size")));
        assertThat(split.train().size()).isEqualTo(Integer.parseInt(field(json, "train_size")));
        double[] scores = SentimentHeadTrainer.scores(model, split.heldOut().sentences());
        int correct = SentimentHeadTrainer.correct(scores, split.heldOut().labels());
        assertThat(correct).isEqualTo(Integer.parseInt(field(json, "heldout_correct")));
        assertThat((double) correct / split.heldOut().size()).isEqualTo(Double.parseDouble(field(json, "heldout_accuracy")));
        assertThat(model.version()).isEqualTo(field(json, "version").replace("\"", ""));
        // per style: every style of the data, each style's count and correct count as recorded
        JsonObject byStyle = report.object("heldout_by_style");
        Map<String, Object> measured = SentimentHeadTrainer.byStyle(split.heldOut(), scores);
        assertThat(byStyle.keySet()).containsExactlyInAnyOrderElementsOf(report.data().styleNames());
        assertThat(byStyle.keySet()).hasSizeGreaterThanOrEqualTo(5);
        for (String style : byStyle.keySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) measured.get(style);
            assertThat(m.get("sentences")).as(style).isEqualTo(byStyle.getAsJsonObject(style).get("sentences").getAsInt());
            assertThat(m.get("correct")).as(style).isEqualTo(byStyle.getAsJsonObject(style).get("correct").getAsInt());
        }
    }

    private static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\": (\"[^\"]*\"|[-0-9.eE]+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("training.json has no field " + key);
        }
        return m.group(1);
    }
}
