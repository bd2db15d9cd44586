package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OnnxModelException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoder reward-model fixtures ({@code src/test/resources/reward-decoder-fixtures}, written with torch reference
 * scores by {@code ops/lm-fixtures/make_hf_reward_fixtures.py}): GPT2ForSequenceClassification without position_ids
 * (right padding) and LlamaForSequenceClassification with grouped-query attention and position_ids (left padding).
 * Tolerances: torch vs ONNX Runtime 1e-4; batched vs one text at a time and prefix-shared vs from scratch 1e-5 (both
 * are float32 with different summation orders, so they are compared within a bound, not bit for bit).
 */
class DecoderRewardModelTest {

    static final double TORCH_TOLERANCE = 1e-4;
    static final double PATH_TOLERANCE = 1e-5;

    /** Continuations of a response by one token's text each, as a tokenwise round's candidates are ("" is EOS). */
    static final List<String> ENDINGS = List.of(" the", "s", "ly", ".", " a", "", "re", "!", " Mr", "x");

    record Reference(String text, long[] ids, double score) {
    }

    static Path dir(String name) throws Exception {
        return Path.of(DecoderRewardModelTest.class.getResource("/reward-decoder-fixtures/" + name).toURI());
    }

    static List<Reference> references(String name) throws Exception {
        JsonObject root = JsonParser.parseString(Files.readString(dir(name).resolve("reference.json"))).getAsJsonObject();
        List<Reference> refs = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray("references")) {
            JsonObject o = e.getAsJsonObject();
            long[] ids = new long[o.getAsJsonArray("input_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = o.getAsJsonArray("input_ids").get(i).getAsLong();
            }
            refs.add(new Reference(o.get("text").getAsString(), ids, o.get("score").getAsDouble()));
        }
        return refs;
    }

    static DecoderRewardModel load(String name, ScoredText scoredText) throws Exception {
        RewardModel model = RewardModels.fromDirectory(dir(name), OnnxDevice.CPU, 1, scoredText);
        assertThat(model).isInstanceOf(DecoderRewardModel.class);
        return (DecoderRewardModel) model;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void loadsByConfigAndScoresAsTorchAtTheLastToken(String name) throws Exception {
        List<Reference> refs = references(name);
        List<String> texts = refs.stream().map(Reference::text).toList();
        try (DecoderRewardModel model = load(name, ScoredText.RESPONSE)) {
            assertThat(model.id()).isEqualTo(name);
            assertThat(model.version()).isEqualTo(RewardModels.sha256Prefix(Files.readAllBytes(dir(name).resolve("model.onnx"))));
            assertThat(model.kind()).isEqualTo(RewardModel.FULL_SEQUENCE);
            assertThat(model.sharesPrefix()).isTrue();
            assertThat(model.padsLeft()).isEqualTo(name.startsWith("llama"));
            long[][] ids = model.encode(texts, texts);
            double[] batch = model.score("ignored", texts);
            for (int i = 0; i < refs.size(); i++) {
                assertThat(ids[i]).as("token ids of '%s'", texts.get(i)).containsExactly(refs.get(i).ids());
                assertThat(batch[i]).as("'%s' in a padded batch", texts.get(i))
                        .isCloseTo(refs.get(i).score(), within(TORCH_TOLERANCE));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void batchScoringEqualsOneByOne(String name) throws Exception {
        List<String> texts = references(name).stream().map(Reference::text).toList();
        try (DecoderRewardModel model = load(name, ScoredText.RESPONSE)) {
            double[] batch = model.score("", texts);
            double worst = 0;
            for (int i = 0; i < texts.size(); i++) {
                double alone = model.score("", texts.get(i));
                worst = Math.max(worst, Math.abs(alone - batch[i]));
                assertThat(batch[i]).as("'%s'", texts.get(i)).isCloseTo(alone, within(PATH_TOLERANCE));
            }
            // scoreGroups merges groups into one padded batch: same rewards within the bound
            List<RewardModel.Scores> groups = model.scoreGroups(List.of(
                    new RewardModel.Group("", texts.subList(0, 2), RewardModel.Outputs.REWARDS),
                    new RewardModel.Group("", texts.subList(2, texts.size()), RewardModel.Outputs.REWARDS)));
            assertThat(groups.get(0).rewards()[1]).isCloseTo(batch[1], within(PATH_TOLERANCE));
            assertThat(groups.get(1).rewards()[0]).isCloseTo(batch[2], within(PATH_TOLERANCE));
            System.out.printf("%s: batch vs one-by-one max |diff| %.2e%n", name, worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void prefixSharedScoringOfATokenwiseRoundEqualsScoringEachTextFromScratch(String name) throws Exception {
        String response = references(name).get(2).text(); // the longest reference text: the response so far
        List<String> candidates = ENDINGS.stream().map(e -> response + e).toList();
        try (DecoderRewardModel model = load(name, ScoredText.RESPONSE)) {
            int responseTokens = model.encode(List.of(""), List.of(response))[0].length;
            int shared = model.sharedPrefixTokens("", candidates);
            // the shared prefix is found in token space: at most the response's tokens, and the cache is really used
            assertThat(shared).isBetween(DecoderRewardModel.MIN_SHARED_TOKENS, responseTokens);
            RewardModel.Scores scores = model.scoreWithSharedPrefix("", candidates, RewardModel.Outputs.REWARDS);
            double worst = 0;
            for (int i = 0; i < candidates.size(); i++) {
                double scratch = model.score("", candidates.get(i));
                worst = Math.max(worst, Math.abs(scratch - scores.rewards()[i]));
                assertThat(scores.rewards()[i]).as("'%s'", candidates.get(i)).isCloseTo(scratch, within(PATH_TOLERANCE));
            }
            // the candidates differ, so the scores must too (a path that ignored the extensions would fail here)
            assertThat(scores.rewards()).doesNotHaveDuplicates();
            System.out.printf("%s: prefix-shared (%d of %d tokens) vs from scratch max |diff| %.2e%n", name, shared,
                    responseTokens, worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aPromptAndResponseModelSharesThePromptAcrossDifferentResponses(String name) throws Exception {
        List<Reference> refs = references(name);
        String prompt = refs.get(2).text();
        List<String> responses = List.of("She was", "a", "It is a truth universally acknowledged");
        try (DecoderRewardModel model = load(name, ScoredText.PROMPT_AND_RESPONSE)) {
            assertThat(model.sharedPrefixTokens(prompt, responses)).isGreaterThanOrEqualTo(DecoderRewardModel.MIN_SHARED_TOKENS);
            double[] shared = model.scoreWithSharedPrefix(prompt, responses, RewardModel.Outputs.REWARDS).rewards();
            for (int i = 0; i < responses.size(); i++) {
                assertThat(shared[i]).isCloseTo(model.score(prompt, responses.get(i)), within(PATH_TOLERANCE));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void textsWithoutALongCommonPrefixAreScoredInFull(String name) throws Exception {
        List<String> texts = references(name).stream().map(Reference::text).toList();
        try (DecoderRewardModel model = load(name, ScoredText.RESPONSE)) {
            assertThat(model.sharedPrefixTokens("", texts)).isZero();
            assertThat(model.scoreWithSharedPrefix("", texts, RewardModel.Outputs.REWARDS).rewards())
                    .containsExactly(model.score("", texts));
            assertThat(model.scoreWithSharedPrefix("", List.of(), RewardModel.Outputs.REWARDS).rewards()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void badInputIsRejectedBeforeAnyModelWork(String name) throws Exception {
        try (DecoderRewardModel model = load(name, ScoredText.RESPONSE)) {
            String tooLong = "It is a truth universally acknowledged. ".repeat(60);
            assertThatThrownBy(() -> model.score("", List.of("fine", tooLong)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context length");
            assertThatThrownBy(() -> model.score(null, List.of("x"))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> model.embed(List.of("x"))).isInstanceOf(UnsupportedOperationException.class);
            // an empty response (a first-round EOS candidate) is scored, not rejected
            assertThat(model.score("", "")).isFinite();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aConfigWithSeveralLabelsIsRejected(String name, @TempDir Path tmp) throws Exception {
        for (String f : List.of("model.onnx", "tokenizer.json", "config.json")) {
            Files.copy(dir(name).resolve(f), tmp.resolve(f));
        }
        String config = Files.readString(tmp.resolve("config.json"))
                .replace("\"id2label\": {", "\"id2label\": {\"1\": \"LABEL_1\", ");
        Files.writeString(tmp.resolve("config.json"), config);
        assertThatThrownBy(() -> RewardModels.fromDirectory(tmp, OnnxDevice.CPU, 1, ScoredText.RESPONSE))
                .isInstanceOf(OnnxModelException.class).hasMessageContaining("2 labels");
    }
}
