package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.RewardModel.Outputs;
import org.alignstream.inference.reward.RewardModel.Scores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reward model declares what it was trained on ({@value ScoredText#KEY}); the loader uses the declaration over the
 * caller's default, and per-token credit covers the response's tokens in both modes.
 */
class ScoredTextDeclarationTest {

    /** The bundled sentiment head's bytes with {@value ScoredText#KEY} = {@code value} added to its metadata. */
    private static byte[] sentimentHeadDeclaring(String value) throws Exception {
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(
                MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE));
        return proto.toBuilder().addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(ScoredText.KEY)
                .setValue(value)).build().toByteArray();
    }

    @Test
    void theDeclarationIsReadAndAnUnknownOneIsRefused() {
        assertThat(ScoredText.declared(Map.of(), "m")).isEmpty();
        assertThat(ScoredText.declared(Map.of(ScoredText.KEY, "prompt_and_response"), "m"))
                .contains(ScoredText.PROMPT_AND_RESPONSE);
        assertThat(ScoredText.declared(Map.of(ScoredText.KEY, "RESPONSE"), "m")).contains(ScoredText.RESPONSE);
        assertThatThrownBy(() -> ScoredText.declared(Map.of(ScoredText.KEY, "both"), "m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 'response' or 'prompt_and_response'");
    }

    @Test
    void aHeadThatDeclaresPromptAndResponseReadsBothWhateverTheDefaultAndItsCreditCoversTheResponse(
            @TempDir Path dir) throws Exception {
        Files.write(dir.resolve(RewardModels.HEAD_FILE), sentimentHeadDeclaring("prompt_and_response"));
        String prompt = "Tell me about the film.";
        List<String> responses = List.of("I absolutely hated this terrible, boring movie.", "It was a lovely evening.");
        try (EncoderRewardModel joined = (EncoderRewardModel) RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1,
                ScoredText.RESPONSE, true);
             EncoderRewardModel plain = RewardModels.defaultSentiment(OnnxDevice.CPU, 1)) {
            assertThat(joined.scoredText()).isEqualTo(ScoredText.PROMPT_AND_RESPONSE);
            assertThat(joined.hasTokenCredit()).isTrue();
            double[] expected = plain.head().score(plain.features(responses.stream().map(r -> prompt + " " + r).toList()));
            for (AttentionCredit.Row row : AttentionCredit.Row.values()) {
                Scores scores = joined.score(prompt, responses, new Outputs(false, true, 0.5, row));
                assertThat(scores.rewards()).containsExactly(expected, within(1e-6));
                for (int i = 0; i < responses.size(); i++) {
                    ResponseCredit credit = scores.credits().get(i);
                    List<String> alone = plain.encoder().tokenizer().encode(List.of(responses.get(i))).tokens(0);
                    assertThat(credit.tokens()).as(row.name()).isEqualTo(alone.subList(1, alone.size() - 1));
                    assertThat(credit.sum()).as(row.name()).isCloseTo(scores.rewards()[i], within(1e-9));
                }
                // the merged path gives the same as the per-group one
                List<Scores> merged = joined.scoreGroups(List.of(new RewardModel.Group(prompt, responses,
                        new Outputs(false, true, 0.5, row))));
                for (int i = 0; i < responses.size(); i++) {
                    assertThat(merged.get(0).credits().get(i).tokens()).isEqualTo(scores.credits().get(i).tokens());
                    assertThat(merged.get(0).credits().get(i).credits())
                            .containsExactly(scores.credits().get(i).credits());
                }
            }
        }
    }

    @Test
    void aHeadThatDeclaresNothingTakesTheDefaultAndOneThatDeclaresResponseOverridesIt(@TempDir Path dir)
            throws Exception {
        Path plainDir = Files.createDirectory(dir.resolve("plain"));
        Files.write(plainDir.resolve(RewardModels.HEAD_FILE),
                MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE));
        Path responseDir = Files.createDirectory(dir.resolve("response"));
        Files.write(responseDir.resolve(RewardModels.HEAD_FILE), sentimentHeadDeclaring("response"));
        try (EncoderRewardModel undeclared = (EncoderRewardModel) RewardModels.fromDirectory(plainDir, OnnxDevice.CPU,
                1, ScoredText.PROMPT_AND_RESPONSE);
             EncoderRewardModel declared = (EncoderRewardModel) RewardModels.fromDirectory(responseDir, OnnxDevice.CPU,
                1, ScoredText.PROMPT_AND_RESPONSE)) {
            assertThat(undeclared.scoredText()).isEqualTo(ScoredText.PROMPT_AND_RESPONSE);
            assertThat(declared.scoredText()).isEqualTo(ScoredText.RESPONSE);
            assertThat(declared.score("Tell me.", "Lovely.")).isEqualTo(declared.score("", "Lovely."));
        }
        assertThat(Optional.of(ScoredText.PROMPT_AND_RESPONSE.declaration())).contains("prompt_and_response");
    }

    /**
     * The reference code's row ({@code get_attention_distribution}): the attention matrix restricted to the response
     * rows and columns, its last row, divided by its sum, computed here from the raw probabilities of one pass.
     */
    @Test
    void theLastResponseTokenRowIsTheReferenceCodesAttentionMap() {
        try (EncoderRewardModel model = RewardModels.defaultSentiment(OnnxDevice.CPU, 1, true)) {
            String text = "I absolutely hated this terrible, boring movie.";
            AttentionBatch batch = model.encoder().encodeWithAttention(List.of(text));
            int[] positions = batch.states().responsePositions(0);
            float[][][] p = batch.probabilities(0);
            int last = positions[positions.length - 1];
            double[] reference = new double[positions.length];
            double sum = 0;
            for (int t = 0; t < positions.length; t++) {
                for (float[][] head : p) {
                    reference[t] += head[last][positions[t]] / p.length; // last layer averaged over heads
                }
                sum += reference[t];
            }
            for (int t = 0; t < reference.length; t++) {
                reference[t] /= sum;
            }
            double[] ours = AttentionCredit.responseAttention(batch, 0, AttentionCredit.Row.LAST_RESPONSE_TOKEN);
            assertThat(ours).containsExactly(reference, within(1e-6));
            // it is neither of the other rows
            assertThat(AttentionCredit.responseAttention(batch, 0, AttentionCredit.Row.MEAN_OVER_QUERIES))
                    .isNotEqualTo(ours);
            assertThat(AttentionCredit.responseAttention(batch, 0, AttentionCredit.Row.FINAL_TOKEN)).isNotEqualTo(ours);
        }
    }
}
