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

    private static ai.onnx.proto.OnnxMl.ModelProto.Builder parsed(LinearHead head) throws Exception {
        return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(RewardHeadOnnx.write(head)).toBuilder();
    }

    @Test
    void strictReadingAcceptsExactlyWhatWriteProducesAndRebuildsTheSameHead() throws Exception {
        LinearHead head = randomHead(5);
        LinearHead back = RewardHeadOnnx.readStrict(RewardHeadOnnx.write(head), "ours");
        assertThat(back.metadata()).isEqualTo(head.metadata());
        assertThat(back.bias()).isEqualTo(-0.75);
        for (int i = 0; i < 384; i++) {
            assertThat(back.weights()[i]).isEqualTo((float) head.weights()[i]);
        }
        assertThat(RewardHeadOnnx.write(back)).isEqualTo(RewardHeadOnnx.write(head));
    }

    @Test
    void strictReadingRefusesAnythingElseBeforeOnnxRuntimeSeesIt() throws Exception {
        LinearHead head = randomHead(6);
        assertThatThrownBy(() -> RewardHeadOnnx.readStrict("not onnx at all".getBytes(), "junk"))
                .isInstanceOf(IllegalArgumentException.class);

        var extraNode = parsed(head);
        extraNode.getGraphBuilder().addNode(extraNode.getGraph().getNode(0).toBuilder().setOpType("Relu")
                .clearInput().addInput(RewardHeadOnnx.OUTPUT).clearOutput().addOutput("relu").build());
        assertThatThrownBy(() -> RewardHeadOnnx.readStrict(extraNode.build().toByteArray(), "extra node"))
                .hasMessageContaining("3 nodes [Gemm, Identity, Relu]");

        var attribute = parsed(head);
        attribute.getGraphBuilder().setNode(0, attribute.getGraph().getNode(0).toBuilder().addAttribute(
                ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("alpha").setF(1e6f)
                        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.FLOAT)));
        assertThatThrownBy(() -> RewardHeadOnnx.readStrict(attribute.build().toByteArray(), "scaled"))
                .hasMessageContaining("1 attributes");

        var customOp = parsed(head);
        customOp.getGraphBuilder().setNode(0, customOp.getGraph().getNode(0).toBuilder().setDomain("com.evil"));
        assertThatThrownBy(() -> RewardHeadOnnx.readStrict(customOp.build().toByteArray(), "custom op"))
                .hasMessageContaining("domain 'com.evil'");

        var external = parsed(head);
        var weights = external.getGraph().getInitializer(0).toBuilder().clearRawData().clearFloatData()
                .setDataLocation(ai.onnx.proto.OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("location")
                        .setValue("../../../../etc/passwd"));
        external.getGraphBuilder().setInitializer(0, weights);
        assertThatThrownBy(() -> RewardHeadOnnx.readStrict(external.build().toByteArray(), "external"))
                .hasMessageContaining("external data");

        var renamed = parsed(head);
        renamed.getGraphBuilder().setOutput(0, renamed.getGraph().getOutput(0).toBuilder().setName("score"));
        assertThatThrownBy(() -> RewardHeadOnnx.readStrict(renamed.build().toByteArray(), "renamed"))
                .hasMessageContaining("outputs [score]");

        double[] w = head.weights();
        w[3] = Double.NaN;
        assertThatThrownBy(() -> RewardHeadOnnx.readStrict(RewardHeadOnnx.write(new LinearHead(w, 0, META)), "nan"))
                .hasMessageContaining("not finite");

    }
}
