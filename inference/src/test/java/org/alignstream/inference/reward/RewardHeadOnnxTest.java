package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession;
import java.util.Random;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;
import org.junit.jupiter.api.Test;

class RewardHeadOnnxTest {

    private static final HeadMetadata META = new HeadMetadata("test-reward", "7", RewardModel.FULL_SEQUENCE, 384,
            MeanPoolingEncoder.MINILM_NAME);

    static LinearHead randomHead(long seed) {
        Random rnd = new Random(seed);
        double[] w = new double[384];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextGaussian();
        }
        return new LinearHead(w, -0.75, META);
    }

    @Test
    void onnxHeadInOnnxRuntimeEqualsDotProductInJava() {
        LinearHead head = randomHead(1);
        Random rnd = new Random(2);
        float[][] features = new float[5][384];
        for (float[] row : features) {
            for (int d = 0; d < row.length; d++) {
                row[d] = (float) rnd.nextGaussian() * 0.05f;
            }
        }
        try (RewardHead onnx = RewardHead.load(OrtSessions.cpu(1), RewardHeadOnnx.write(head), "random head")) {
            double[] rewards = onnx.score(features);
            assertThat(rewards).hasSize(5);
            for (int i = 0; i < 5; i++) {
                double expected = -0.75;
                double[] w = head.weights();
                for (int d = 0; d < 384; d++) {
                    expected += (float) w[d] * (double) features[i][d]; // the graph holds float32 weights
                }
                assertThat(rewards[i]).as("row %d", i).isCloseTo(expected, within(1e-4));
                assertThat(rewards[i]).isCloseTo(head.apply(features[i]), within(1e-4));
            }
            assertThat(onnx.score(new float[0][])).isEmpty();
            assertThatThrownBy(() -> onnx.score(new float[][] {new float[10]}))
                    .hasMessageContaining("feature row 0 has length 10, head test-reward expects 384");
        }
    }

    @Test
    void metadataIsVisibleToOnnxRuntimeAndRoundTrips() throws Exception {
        LinearHead head = randomHead(3);
        byte[] bytes = RewardHeadOnnx.write(head);
        try (OrtSession session = OrtSessions.cpu(1).open(bytes, "head")) {
            assertThat(session.getMetadata().getCustomMetadata())
                    .containsEntry(HeadMetadata.KEY_ID, "test-reward")
                    .containsEntry(HeadMetadata.KEY_VERSION, "7")
                    .containsEntry(HeadMetadata.KEY_KIND, "full-sequence")
                    .containsEntry(HeadMetadata.KEY_FEATURE_DIM, "384");
        }
        try (RewardHead loaded = RewardHead.load(OrtSessions.cpu(1), bytes, "head")) {
            assertThat(loaded.metadata()).isEqualTo(META);
        }
        LinearHead back = RewardHeadOnnx.read(bytes, "head");
        assertThat(back.metadata()).isEqualTo(META);
        assertThat(back.bias()).isEqualTo(-0.75);
        double[] w = head.weights();
        double[] wBack = back.weights();
        for (int d = 0; d < 384; d++) {
            assertThat(wBack[d]).isEqualTo((double) (float) w[d]);
        }
    }

    @Test
    void rejectsModelsThatAreNotHeads() throws Exception {
        byte[] classifier = java.nio.file.Files.readAllBytes(
                org.alignstream.inference.onnx.Fixtures.fixture("two-logits.onnx"));
        assertThatThrownBy(() -> RewardHead.load(OrtSessions.cpu(1), classifier, "two-logits.onnx"))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("ONNX model two-logits.onnx has inputs [attention_mask, input_ids, token_type_ids]")
                .hasMessageContaining("missing required [features]");
        assertThatThrownBy(() -> RewardHeadOnnx.read(classifier, "two-logits.onnx"))
                .hasMessageContaining("reward head two-logits.onnx lacks metadata property 'alignstream.reward.feature_dim'");
        assertThatThrownBy(() -> RewardHeadOnnx.read(new byte[] {1, 2, 3}, "junk"))
                .hasMessageContaining("reward head junk is not an ONNX model");
        assertThatThrownBy(() -> new LinearHead(new double[3], 0, META))
                .hasMessageContaining("head has 3 weights but metadata says featureDim 384");
    }
}
