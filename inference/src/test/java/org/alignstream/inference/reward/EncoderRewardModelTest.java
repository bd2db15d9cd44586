package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OrtSessions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncoderRewardModelTest {

    private static EncoderRewardModel model;
    private static LinearHead head;

    @BeforeAll
    static void load() {
        head = RewardHeadOnnxTest.randomHead(9);
        OrtSessions sessions = OrtSessions.cpu(1);
        model = new EncoderRewardModel(MeanPoolingEncoder.miniLm(sessions),
                RewardHead.load(sessions, RewardHeadOnnx.write(head), "random head"), ScoredText.RESPONSE);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void featuresAreUnitLength384dAndSemantic() {
        float[][] f = model.features(List.of("A cat is sitting on the mat.", "The kitten sits on a rug.",
                "Stock markets fell sharply after the interest rate decision."));
        assertThat(f).hasNumberOfRows(3);
        for (float[] row : f) {
            assertThat(row).hasSize(384);
            double norm = 0;
            for (float v : row) {
                norm += v * v;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
        }
        assertThat(cosine(f[0], f[1])).isGreaterThan(0.5).isGreaterThan(cosine(f[0], f[2]) + 0.3);
        assertThat(model.embed(List.of("A cat is sitting on the mat."))[0]).hasSize(384);
        assertThat(model.hasEmbeddings()).isTrue();
    }

    @Test
    void batchCompositionChangesFeaturesOnlySlightly() {
        // MiniLM int8 quantises activations dynamically over the whole batch tensor, so a text's
        // features depend a little on its batch-mates (most for very short texts); the same batch
        // always gives the same features.
        String text = "The service at this restaurant was slow but the food was good.";
        float[] alone = model.features(List.of(text))[0];
        float[] withOthers = model.features(List.of("Hi", text,
                "Another quite long sentence with many many many more tokens than the other ones have here."))[1];
        assertThat(cosine(alone, withOthers)).isGreaterThan(0.98);
        float[] shortAlone = model.features(List.of("Nice."))[0];
        float[] shortPadded = model.features(List.of("Nice.",
                "This is a much longer sentence that forces plenty of padding onto the first one in the batch."))[0];
        assertThat(cosine(shortAlone, shortPadded)).isGreaterThan(0.9);
        assertThat(cosine(model.features(List.of("Nice.", "Nice."))[1], shortAlone)).isGreaterThan(0.99999);
    }

    @Test
    void scoreIsTheHeadAppliedToEncoderFeatures() {
        List<String> responses = List.of("I loved every minute of it.", "Dreadful.", "");
        double[] scores = model.score("What did you think?", responses);
        float[][] f = model.features(responses);
        for (int i = 0; i < responses.size(); i++) {
            assertThat(scores[i]).isCloseTo(head.apply(f[i]), within(1e-3));
        }
        assertThat(model.id()).isEqualTo("test-reward");
        assertThat(model.version()).isEqualTo("7");
        assertThat(model.kind()).isEqualTo("full-sequence");
        assertThat(model.score("p", List.of())).isEmpty();
    }

    @Test
    void promptAndResponseModeEncodesTheJoinedText(@TempDir Path dir) throws Exception {
        Path headFile = dir.resolve("head.onnx");
        Files.write(headFile, RewardHeadOnnx.write(head));
        try (RewardModel joined = RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.PROMPT_AND_RESPONSE)) {
            double score = joined.score("Describe the weather.", "It is sunny and warm.");
            double expected = head.apply(model.features(List.of("Describe the weather. It is sunny and warm."))[0]);
            assertThat(score).isCloseTo(expected, within(1e-3));
        }
    }

    @Test
    void miniLmTokenizerPadsToTheLongestAndTruncatesAt128() {
        BatchTokenizer tokenizer = model.encoder().tokenizer();
        TokenBatch batch = tokenizer.encode(List.of("hello world", "a somewhat longer sentence here"));
        assertThat(batch.length()).isLessThan(20); // not the tokenizer.json's fixed 128
        assertThat(batch.ids(0)).startsWith(101L).endsWith(102L);
        assertThat(batch.attentionMask(0, batch.length() - 1)).isZero();
        TokenBatch longBatch = tokenizer.encode(List.of("word ".repeat(500)));
        assertThat(longBatch.length()).isEqualTo(128);
        assertThat(longBatch.inputId(0, 127)).isEqualTo(102L);
    }

    @Test
    void meanPoolingMatchesBruteForce() {
        // batch of 2, length 3, dim 2; row 1 has one padding token that must be ignored
        TokenBatch batch = new TokenBatch(2, 3, new long[6], new long[] {1, 1, 1, 1, 1, 0}, new long[6]);
        float[] hidden = {1, 2, 3, 4, 5, 6, /* row 1 */ 3, 0, 1, 0, 100, 100};
        float[][] pooled = MeanPoolingEncoder.meanPoolAndNormalise(FloatBuffer.wrap(hidden), batch, 2);
        double ax = 3;
        double ay = 4;
        assertThat((double) pooled[0][0]).isCloseTo(ax / 5, within(1e-6));
        assertThat((double) pooled[0][1]).isCloseTo(ay / 5, within(1e-6));
        assertThat((double) pooled[1][0]).isCloseTo(1.0, within(1e-6));
        assertThat((double) pooled[1][1]).isCloseTo(0.0, within(1e-6));
    }

    @Test
    void headForAnotherEncoderIsRejected() {
        HeadMetadata other = new HeadMetadata("x", "1", RewardModel.FULL_SEQUENCE, 384, "some-other-encoder");
        OrtSessions sessions = OrtSessions.cpu(1);
        RewardHead wrong = RewardHead.load(sessions, RewardHeadOnnx.write(new LinearHead(new double[384], 0, other)), "x");
        assertThatThrownBy(() -> new EncoderRewardModel(MeanPoolingEncoder.miniLm(sessions), wrong, ScoredText.RESPONSE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expects 384 features from encoder 'some-other-encoder' but the encoder is"
                        + " 'all-MiniLM-L6-v2-int8'");
    }
}
