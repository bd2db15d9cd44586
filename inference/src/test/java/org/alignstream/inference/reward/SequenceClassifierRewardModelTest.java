package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.onnx.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The tiny classifier and the expected logits / token ids come from
 * ops/reward-fixture/make_tiny_classifier.py (torch + an independent Python tokenizer).
 */
class SequenceClassifierRewardModelTest {

    /** One line of an expected-*.tsv file. */
    record Expected(double logit, long[] ids, String first, String second) {}

    static List<Expected> expected(String file) throws Exception {
        List<Expected> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Fixtures.fixture(file), StandardCharsets.UTF_8)) {
            String[] p = line.split("\t", -1);
            long[] ids = java.util.Arrays.stream(p[1].split(" ")).mapToLong(Long::parseLong).toArray();
            rows.add(new Expected(Double.parseDouble(p[0]), ids, p[2], p.length > 3 ? p[3] : null));
        }
        return rows;
    }

    private static RewardModel load(ScoredText scoredText) throws Exception {
        return RewardModels.fromDirectory(Fixtures.fixture("tiny-classifier"), OnnxDevice.CPU, 1, scoredText);
    }

    @Test
    void responseScoresEqualTorchInOnePaddedBatch() throws Exception {
        List<Expected> rows = expected("expected-single.tsv");
        List<String> responses = rows.stream().map(Expected::first).toList();
        try (RewardModel model = load(ScoredText.RESPONSE)) {
            assertThat(model.id()).isEqualTo("tiny-classifier");
            assertThat(model.version()).isEqualTo(RewardModels.sha256Prefix(
                    Files.readAllBytes(Fixtures.fixture("tiny-classifier/model.onnx"))));
            assertThat(model.kind()).isEqualTo("full-sequence");
            double[] scores = model.score("ignored prompt", responses);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(scores[i]).as("'%s'", responses.get(i)).isCloseTo(rows.get(i).logit(), within(1e-4));
                // padding must not change a row's score
                assertThat(model.score("other", responses.get(i))).isCloseTo(scores[i], within(1e-5));
            }
        }
    }

    @Test
    void promptAndResponseAreScoredAsATextPair() throws Exception {
        List<Expected> rows = expected("expected-pair.tsv");
        String prompt = rows.get(0).first();
        List<String> responses = rows.stream().map(Expected::second).toList();
        try (RewardModel model = load(ScoredText.PROMPT_AND_RESPONSE)) {
            double[] scores = model.score(prompt, responses);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(scores[i]).as("'%s'", responses.get(i)).isCloseTo(rows.get(i).logit(), within(1e-4));
            }
        }
    }

    @Test
    void tokenizerMatchesIndependentPythonTokenization() throws Exception {
        List<Expected> single = expected("expected-single.tsv");
        List<Expected> pair = expected("expected-pair.tsv");
        try (BatchTokenizer tokenizer = BatchTokenizer.fromFile(
                Fixtures.fixture("tiny-classifier/tokenizer.json"), 128)) {
            TokenBatch batch = tokenizer.encode(single.stream().map(Expected::first).toList());
            int longest = single.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
            assertThat(batch.length()).isEqualTo(longest);
            for (int i = 0; i < single.size(); i++) {
                assertThat(batch.ids(i)).isEqualTo(single.get(i).ids());
                assertThat(batch.tokenTypeId(i, 0)).isZero();
            }
            TokenBatch pairs = tokenizer.encodePairs(pair.stream().map(Expected::first).toList(),
                    pair.stream().map(Expected::second).toList());
            for (int i = 0; i < pair.size(); i++) {
                assertThat(pairs.ids(i)).isEqualTo(pair.get(i).ids());
                int n = pair.get(i).ids().length;
                assertThat(pairs.tokenTypeId(i, n - 1)).isEqualTo(1); // last [SEP] belongs to segment B
            }
        }
    }

    @Test
    void worksWithoutTheOptionalTokenTypeInput() throws Exception {
        List<Expected> rows = expected("expected-no-token-types.tsv");
        OrtSessions sessions = OrtSessions.cpu(1);
        try (RewardModel model = new SequenceClassifierRewardModel("no-types", "1",
                sessions.open(Fixtures.fixture("no-token-types.onnx")),
                BatchTokenizer.fromFile(Fixtures.fixture("tiny-classifier/tokenizer.json"), 128),
                ScoredText.RESPONSE)) {
            double[] scores = model.score("", rows.stream().map(Expected::first).toList());
            for (int i = 0; i < rows.size(); i++) {
                assertThat(scores[i]).isCloseTo(rows.get(i).logit(), within(1e-4));
            }
        }
    }

    @Test
    void rejectsModelsWithSeveralLogitsOrWrongInputs() throws Exception {
        OrtSessions sessions = OrtSessions.cpu(1);
        Path tokenizer = Fixtures.fixture("tiny-classifier/tokenizer.json");
        assertThatThrownBy(() -> new SequenceClassifierRewardModel("two", "1",
                sessions.open(Fixtures.fixture("two-logits.onnx")), BatchTokenizer.fromFile(tokenizer, 128),
                ScoredText.RESPONSE))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("reward model 'two' has 2 logits; a reward model must have exactly one");
        byte[] head = RewardHeadOnnx.write(RewardHeadOnnxTest.randomHead(4));
        assertThatThrownBy(() -> new SequenceClassifierRewardModel("head", "1", sessions.open(head, "head.onnx"),
                BatchTokenizer.fromFile(tokenizer, 128), ScoredText.RESPONSE))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("has inputs [features] but is missing required [attention_mask, input_ids]");
    }

    @Test
    void edgeCases() throws Exception {
        try (RewardModel model = load(ScoredText.RESPONSE)) {
            assertThat(model.score("p", List.of())).isEmpty();
            assertThat(model.hasEmbeddings()).isFalse();
            assertThatThrownBy(() -> model.embed(List.of("x"))).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("has no sentence embedding");
            assertThatThrownBy(() -> model.score("p", java.util.Arrays.asList("ok", null)))
                    .hasMessageContaining("response 1 is null");
            assertThatThrownBy(() -> model.score(null, List.of("ok"))).hasMessageContaining("prompt must not be null");
            // truncation at 128 tokens: a very long response still scores
            String longText = "good ".repeat(400);
            assertThat(model.score("", longText)).isFinite();
        }
    }

    @Test
    void directoryErrorsAreClear(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.RESPONSE))
                .hasMessageContaining("holds neither model.onnx + tokenizer.json nor head.onnx (found [])");
        Files.copy(Fixtures.fixture("tiny-classifier/model.onnx"), dir.resolve("model.onnx"));
        assertThatThrownBy(() -> RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.RESPONSE))
                .hasMessageContaining("has model.onnx but no tokenizer.json");
        assertThatThrownBy(() -> RewardModels.fromDirectory(dir.resolve("nope"), OnnxDevice.CPU, 1, ScoredText.RESPONSE))
                .hasMessageContaining("reward model directory not found");
    }
}
