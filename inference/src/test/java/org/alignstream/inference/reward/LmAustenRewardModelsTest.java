package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.alignstream.inference.onnx.OnnxDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoder reward models fine-tuned from lm-austen (models/reward-lm-austen-partial and -full, written by
 * ops/reward-lm-austen/train.py), loaded as the scorer's {@code --reward-model-dir} loads them
 * ({@link RewardModels#fromDirectory}): what they declare, that Java tokenises and scores as torch did when they were
 * exported, that clearly positive texts outscore clearly negative ones, and that prefix-cached scoring equals scoring
 * from scratch.
 */
class LmAustenRewardModelsTest {

    private static JsonObject json(Path file) throws Exception {
        return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static RewardModel load(String name) {
        // RESPONSE is only the default for a model that declares nothing: these declare prompt_and_response
        return RewardModels.fromDirectory(Path.of("..", "models", name), OnnxDevice.CPU, 1, ScoredText.RESPONSE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"partial", "full"})
    void declaresItsKindAndReadsPromptAndResponse(String variant) throws Exception {
        JsonObject report = json(Path.of("..", "models", "reward-lm-austen-" + variant, "training.json"));
        try (RewardModel model = load("reward-lm-austen-" + variant)) {
            assertThat(model).isInstanceOf(DecoderRewardModel.class);
            DecoderRewardModel m = (DecoderRewardModel) model;
            assertThat(m.id()).isEqualTo("lm-austen-" + variant);
            assertThat(m.version()).isEqualTo(report.get("version").getAsString());
            assertThat(m.kind()).isEqualTo(variant.equals("partial") ? RewardModel.PARTIAL_SEQUENCE
                    : RewardModel.FULL_SEQUENCE);
            assertThat(m.scoredText()).isEqualTo(ScoredText.PROMPT_AND_RESPONSE);
            assertThat(m.padsLeft()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"partial", "full"})
    void javaTokenisesAndScoresAsTorchDidAtExport(String variant) throws Exception {
        JsonObject reference = json(Path.of("..", "models", "reward-lm-austen-" + variant, "reference.json"));
        try (DecoderRewardModel model = (DecoderRewardModel) load("reward-lm-austen-" + variant)) {
            for (JsonElement e : reference.getAsJsonArray("references")) {
                JsonObject ref = e.getAsJsonObject();
                String prompt = ref.get("prompt").getAsString();
                String response = ref.get("response").getAsString();
                long[] ids = model.encode(List.of(prompt), List.of(response))[0];
                long[] expected = new long[ref.getAsJsonArray("input_ids").size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = ref.getAsJsonArray("input_ids").get(i).getAsLong();
                }
                assertThat(ids).as("token ids of '%s' + '%s'", prompt, response).containsExactly(expected);
                assertThat(model.score(prompt, List.of(response))[0]).as("'%s' + '%s'", prompt, response)
                        .isCloseTo(ref.get("score").getAsDouble(), within(1e-3));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"partial", "full"})
    void clearlyPositiveTextsOutscoreClearlyNegativeOnes(String variant) {
        List<String> positive = List.of(" was delighted, and thanked him warmly for his kindness.",
                " had never been so happy; the day was perfect.",
                " found the company charming and the dinner excellent.");
        List<String> negative = List.of(" was miserable, and hated him for his cruelty.",
                " had never been so wretched; the day was a disaster.",
                " found the company tedious and the dinner dreadful.");
        try (RewardModel model = load("reward-lm-austen-" + variant)) {
            for (String prompt : List.of("She", "Her sister")) {
                double[] pos = model.score(prompt, positive);
                double[] neg = model.score(prompt, negative);
                assertThat(Arrays.stream(pos).min().orElseThrow()).as("prompt '%s': weakest positive vs strongest"
                        + " negative", prompt).isGreaterThan(Arrays.stream(neg).max().orElseThrow());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"partial", "full"})
    void prefixCachedScoringEqualsScoringFromScratch(String variant) {
        String prompt = "When Elizabeth returned to the house";
        String base = ", she found her mother in the drawing-room, and";
        List<String> round = List.of(base + " she", base + " the", base + " her", base + " a", base + " it",
                base + " was", base + " with", base + " happy");
        try (DecoderRewardModel model = (DecoderRewardModel) load("reward-lm-austen-" + variant)) {
            assertThat(model.sharedPrefixTokens(prompt, round)).isGreaterThanOrEqualTo(DecoderRewardModel.MIN_SHARED_TOKENS);
            double[] cached = model.scoreWithSharedPrefix(prompt, round, RewardModel.Outputs.REWARDS).rewards();
            double[] scratch = new double[round.size()];
            for (int i = 0; i < round.size(); i++) {
                scratch[i] = model.score(prompt, List.of(round.get(i)))[0];
            }
            for (int i = 0; i < round.size(); i++) {
                assertThat(cached[i]).as(round.get(i)).isCloseTo(scratch[i], within(1e-4));
            }
            assertThat(Arrays.stream(scratch).distinct().count()).isGreaterThan(1); // the extensions are told apart
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"partial", "full"})
    void heldOutSentencesAreTheJavaSplitsHeldOutSentences(String variant) throws Exception {
        // train.py reproduces LabelledSentences.split in Python: the held-out rows it evaluated must be Java's
        Path dir = Path.of("..", "models", "reward-lm-austen-" + variant);
        JsonObject report = json(dir.resolve("training.json"));
        LabelledSentences all = LabelledSentences.load(report.get("data").getAsString(), dir);
        assertThat(hash(all)).isEqualTo(report.get("data_sha256_prefix").getAsString());
        LabelledSentences heldOut = all.split(report.get("seed").getAsLong(), report.get("train_fraction").getAsDouble())
                .heldOut();
        assertThat(heldOut.size()).isEqualTo(report.get("heldout_size").getAsInt());
        assertThat(hash(heldOut)).isEqualTo(report.get("heldout_sha256_prefix").getAsString());
    }

    /** SentimentHeadTrainer.dataHash (training module): SHA-256 prefix of "style TAB label TAB sentence" lines. */
    private static String hash(LabelledSentences data) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < data.size(); i++) {
            sb.append(data.styles().get(i)).append('\t').append(data.labels()[i]).append('\t')
                    .append(data.sentences().get(i)).append('\n');
        }
        return RewardModels.sha256Prefix(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}
