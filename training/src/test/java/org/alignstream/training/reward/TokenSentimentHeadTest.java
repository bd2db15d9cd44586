package org.alignstream.training.reward;

import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.ResponseCredit;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.TokenLevelRewardModel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.alignstream.inference.onnx.OnnxDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checks the shipped token-level head (models/reward-sentiment-token) against its data and its training report. */
class TokenSentimentHeadTest {

    private static final Path DIR = Path.of("..", "models", "reward-sentiment-token");
    private static TokenLevelRewardModel model;

    @BeforeAll
    static void load() {
        model = RewardModels.defaultSentimentToken(OnnxDevice.CPU, 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void heldOutFiguresMatchTheTrainingReport() throws Exception {
        String json = Files.readString(DIR.resolve("training.json"), StandardCharsets.UTF_8);
        assertThat(model.id()).isEqualTo("sentiment-token");
        assertThat(model.kind()).isEqualTo(RewardModel.TOKEN_LEVEL);
        assertThat(model.version()).isEqualTo(field(json, "version").replace("\"", ""));
        LabelledSentences heldOut = LabelledSentences.load(Path.of("..", "models", "reward-sentiment", "sentences.tsv"))
                .split(Long.parseLong(field(json, "seed")), Double.parseDouble(field(json, "train_fraction"))).heldOut();
        double[] r = SentimentHeadTrainer.scores(model, heldOut.sentences()); // batches of 16 in split order, as trained
        int[] labels = heldOut.labels();
        int pairs = 0;
        int correct = 0;
        for (int p = 0; p < r.length; p++) {
            for (int n = 0; n < r.length; n++) {
                if (labels[p] == 1 && labels[n] == 0) {
                    pairs++;
                    correct += r[p] > r[n] ? 1 : 0;
                }
            }
        }
        // the first occurrences are the token head's own figures (the sentiment head's come later)
        assertThat(pairs).isEqualTo(Integer.parseInt(field(json, "pairs")));
        assertThat(correct).isEqualTo(Integer.parseInt(field(json, "pair_correct")));
        assertThat(SentimentHeadTrainer.correct(model, heldOut)).isEqualTo(Integer.parseInt(field(json, "sign_correct")));
        assertThat((double) correct / pairs).isGreaterThan(0.94);
    }

    @Test
    void negativeWordsGetTheMostNegativeTokenRewardsAndTheyAddUpToTheReward() {
        String hated = "I absolutely hated this terrible, boring movie.";
        ResponseCredit c = model.tokenRewards(List.of(hated)).get(0);
        assertThat(c.tokens()).containsExactly("i", "absolutely", "hated", "this", "terrible", ",", "boring", "movie", ".");
        List<String> order = IntStream.range(0, c.size()).boxed()
                .sorted(Comparator.comparingDouble(t -> c.credits()[t])).map(c.tokens()::get).toList();
        assertThat(order.subList(0, 2)).containsExactlyInAnyOrder("hated", "terrible");
        assertThat(order.subList(0, 4)).contains("boring"); // -0.23, just after "movie" (-0.24)
        assertThat(java.util.Arrays.stream(c.credits()).max().orElseThrow()).isNegative();
        assertThat(c.sum()).isEqualTo(model.score("", List.of(hated))[0]).isNegative();

        ResponseCredit happy = model.tokenRewards(List.of("What a wonderful, delightful day! I am so happy.")).get(0);
        assertThat(happy.sum()).isPositive();
        List<String> best = IntStream.range(0, happy.size()).boxed()
                .sorted(Comparator.comparingDouble(t -> -happy.credits()[t])).limit(3).map(happy.tokens()::get).toList();
        assertThat(best).containsAnyOf("wonderful", "delightful", "happy");
    }

    private static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\": (\"[^\"]*\"|[-0-9.eE]+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("training.json has no field " + key);
        }
        return m.group(1);
    }
}
