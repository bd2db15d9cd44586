package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AttentionExposingRewriteTest {

    private static final String LAST_SOFTMAX = "/encoder/layer.5/attention/self/Softmax";

    private static byte[] original;
    private static AttentionExposingRewrite.Rewritten rewritten;

    @BeforeAll
    static void rewrite() {
        original = MeanPoolingEncoder.readResource(MeanPoolingEncoder.MINILM_MODEL_RESOURCE);
        rewritten = AttentionExposingRewrite.expose(original);
    }

    @Test
    void findsTheSoftmaxOfMiniLmsSixthAttentionLayerByStructure() {
        AttentionExposingRewrite.LastLayerAttention found = rewritten.attention();
        assertThat(found.softmaxNode()).isEqualTo(LAST_SOFTMAX);
        assertThat(found.probabilities()).isEqualTo(LAST_SOFTMAX + "_output_0");
        assertThat(found.scoresProduct()).isEqualTo("/encoder/layer.5/attention/self/MatMul");
        assertThat(found.valuesProduct()).isEqualTo("/encoder/layer.5/attention/self/MatMul_1");
        assertThat(found.layerIndex()).isEqualTo(5);
        assertThat(found.attentionLayers()).isEqualTo(6);
        assertThat(found.softmaxNodes()).isEqualTo(6);
    }

    @Test
    void findsTheTwelfthLayerOfE5Too() {
        AttentionExposingRewrite.LastLayerAttention found =
                AttentionExposingRewrite.find(MeanPoolingEncoder.readResource(MeanPoolingEncoder.E5_MODEL_RESOURCE));
        assertThat(found.softmaxNode()).isEqualTo("/encoder/layer.11/attention/self/Softmax");
        assertThat(found.layerIndex()).isEqualTo(11);
        assertThat(found.attentionLayers()).isEqualTo(12);
    }

    @Test
    void addsOneIdentityAndOneOutputAndChangesNothingElse() throws Exception {
        OnnxMl.ModelProto before = OnnxMl.ModelProto.parseFrom(original);
        OnnxMl.ModelProto after = OnnxMl.ModelProto.parseFrom(rewritten.model());
        OnnxMl.GraphProto g = after.getGraph();
        assertThat(g.getOutputCount()).isEqualTo(before.getGraph().getOutputCount() + 1);
        assertThat(g.getOutputList().subList(0, before.getGraph().getOutputCount()))
                .isEqualTo(before.getGraph().getOutputList());
        OnnxMl.NodeProto identity = g.getNode(g.getNodeCount() - 1);
        assertThat(identity.getOpType()).isEqualTo("Identity");
        assertThat(identity.getInputList()).containsExactly(LAST_SOFTMAX + "_output_0");
        assertThat(identity.getOutputList()).containsExactly(AttentionExposingRewrite.OUTPUT_NAME);

        OnnxMl.ValueInfoProto out = g.getOutput(g.getOutputCount() - 1);
        assertThat(out.getName()).isEqualTo(AttentionExposingRewrite.OUTPUT_NAME);
        OnnxMl.TypeProto.Tensor type = out.getType().getTensorType();
        assertThat(type.getElemType()).isEqualTo(OnnxMl.TensorProto.DataType.FLOAT_VALUE);
        assertThat(type.getShape().getDimList()).extracting(OnnxMl.TensorShapeProto.Dimension::getDimParam)
                .containsExactly("batch_size", "attention_heads", "sequence_length", "sequence_length");

        // removing exactly those two additions gives back the original model, field for field
        OnnxMl.GraphProto stripped = g.toBuilder().removeNode(g.getNodeCount() - 1)
                .removeOutput(g.getOutputCount() - 1).build();
        assertThat(after.toBuilder().setGraph(stripped).build()).isEqualTo(before);
    }

    @Test
    void originalOutputIsBitIdenticalAndAttentionHasBatchHeadsSeqSeqShape() throws Exception {
        OrtSessions sessions = OrtSessions.cpu(1);
        try (BatchTokenizer tokenizer = BatchTokenizer.fromClasspath(MeanPoolingEncoder.MINILM_TOKENIZER_RESOURCE, 128);
             OrtSession before = sessions.open(original);
             OrtSession after = sessions.open(rewritten.model())) {
            assertThat(after.getOutputNames()).containsExactly("last_hidden_state", AttentionExposingRewrite.OUTPUT_NAME);
            TokenBatch batch = tokenizer.encode(List.of("Nice.", "The service was slow but the food was good.",
                    "I absolutely hated this terrible, boring movie, and so did everyone else in the cinema."));
            try (OrtSession.Result a = batch.run(before, Set.of("last_hidden_state"));
                 OrtSession.Result b = batch.run(after, Set.of("last_hidden_state", AttentionExposingRewrite.OUTPUT_NAME))) {
                float[] x = floats((OnnxTensor) a.get(0));
                float[] y = floats((OnnxTensor) b.get("last_hidden_state").orElseThrow());
                assertThat(x).hasSize(3 * batch.length() * 384);
                // exact: the rewrite adds an output but no computation (0 of 23,040+ floats differ here)
                assertThat(y).containsExactly(x);
                OnnxTensor attention = (OnnxTensor) b.get(AttentionExposingRewrite.OUTPUT_NAME).orElseThrow();
                assertThat(attention.getInfo().getShape()).containsExactly(3, 12, batch.length(), batch.length());
            }
        }
    }

    @Test
    void skipsALaterNonAttentionSoftmaxAndDoesNotDependOnNodeOrder() throws Exception {
        OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(original);
        OnnxMl.GraphProto g = model.getGraph();
        // a classifier-style Softmax over the last hidden state, after every attention layer
        OnnxMl.NodeProto classifier = OnnxMl.NodeProto.newBuilder().setName("/classifier/Softmax").setOpType("Softmax")
                .addInput("last_hidden_state").addOutput("probs")
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("axis").setI(-1)
                        .setType(OnnxMl.AttributeProto.AttributeType.INT))
                .build();
        List<OnnxMl.NodeProto> nodes = new ArrayList<>(g.getNodeList());
        nodes.add(classifier);
        Collections.reverse(nodes); // not topological any more
        OnnxMl.GraphProto shuffled = g.toBuilder().clearNode().addAllNode(nodes)
                .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName("probs")).build();
        byte[] bytes = model.toBuilder().setGraph(shuffled).build().toByteArray();

        AttentionExposingRewrite.LastLayerAttention found = AttentionExposingRewrite.find(bytes);
        assertThat(found.softmaxNode()).isEqualTo(LAST_SOFTMAX);
        assertThat(found.softmaxNodes()).isEqualTo(7);
        assertThat(found.attentionLayers()).isEqualTo(6);
    }

    @Test
    void failsClearlyOnAGraphWithoutSoftmax() {
        byte[] head = MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE);
        assertThatThrownBy(() -> AttentionExposingRewrite.rewrite(head))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("has no attention Softmax to expose")
                .hasMessageContaining("0 Softmax node(s)");
    }

    @Test
    void failsClearlyOnARewrittenModelAndOnNonOnnxBytes() {
        assertThatThrownBy(() -> AttentionExposingRewrite.rewrite(rewritten.model()))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("already has a tensor named 'last_layer_attention'");
        assertThatThrownBy(() -> AttentionExposingRewrite.rewrite(new byte[] {1, 2, 3, 4, 5}))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("Not an ONNX model");
        assertThatThrownBy(() -> AttentionExposingRewrite.rewrite(new byte[0]))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("empty");
    }

    private static float[] floats(OnnxTensor tensor) {
        float[] out = new float[(int) tensor.getInfo().getNumElements()];
        tensor.getFloatBuffer().get(out);
        return out;
    }
}
