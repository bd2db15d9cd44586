package org.alignstream.inference.reward;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXInitializer;
import org.tribuo.util.onnx.ONNXOperators;
import org.tribuo.util.onnx.ONNXPlaceholder;
import org.tribuo.util.onnx.ONNXRef;

/**
 * Serialises a {@link LinearHead} as a one-node ONNX graph,
 * {@code reward[B,1] = Gemm(features[B,D], weights[D,1], bias[1])}, with the
 * {@link HeadMetadata} in the model's {@code metadata_props}; and reads such bytes back.
 * Built with Tribuo's ONNX helpers.
 */
public final class RewardHeadOnnx {

    public static final String INPUT = "features";
    public static final String OUTPUT = "reward";
    static final String WEIGHTS = "head_weights";
    static final String BIAS = "head_bias";
    private static final long IR_VERSION = 8;

    private RewardHeadOnnx() {
    }

    /** The ONNX model bytes of {@code head}. */
    public static byte[] write(LinearHead head) {
        int dim = head.metadata().featureDim();
        double[] w = head.weights();
        ONNXContext context = new ONNXContext();
        context.setName("alignstream_reward_head");
        ONNXPlaceholder features = context.floatInput(INPUT, dim);
        ONNXPlaceholder reward = context.floatOutput(OUTPUT, 1);
        ONNXInitializer weights = context.floatTensor(WEIGHTS, List.of(dim, 1), buffer -> {
            for (double v : w) {
                buffer.put((float) v);
            }
        });
        ONNXInitializer bias = context.array(BIAS, new float[] {(float) head.bias()});
        List<ONNXRef<?>> gemmInputs = List.of(weights, bias);
        features.apply(ONNXOperators.GEMM, gemmInputs).assignTo(reward);
        OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(ONNXOperators.getOpsetProto())
                .setProducerName("alignstream")
                .setDomain("org.alignstream")
                .setDocString("Linear reward head: reward = features . weights + bias")
                .setGraph(context.buildGraph());
        head.metadata().toProperties().forEach((k, v) ->
                model.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build().toByteArray();
    }

    /**
     * Parses bytes written by {@link #write}.
     *
     * @param source names the bytes in error messages
     * @throws IllegalArgumentException if they are not such a head
     */
    public static LinearHead read(byte[] bytes, String source) {
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("reward head " + source + " is not an ONNX model: " + e.getMessage(), e);
        }
        Map<String, String> props = new HashMap<>();
        for (OnnxMl.StringStringEntryProto p : model.getMetadataPropsList()) {
            props.put(p.getKey(), p.getValue());
        }
        HeadMetadata metadata = HeadMetadata.fromProperties(props, source);
        Map<String, OnnxMl.TensorProto> initializers = new HashMap<>();
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        List<OnnxMl.NodeProto> gemms = model.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Gemm")).toList();
        if (gemms.size() != 1 || gemms.get(0).getInputCount() != 3 || !gemms.get(0).getInput(0).equals(INPUT)) {
            throw new IllegalArgumentException("reward head " + source + " is not a linear Gemm(" + INPUT
                    + ", weights, bias) graph; it was not written by RewardHeadOnnx");
        }
        OnnxMl.NodeProto gemm = gemms.get(0);
        float[] w = floats(initializers, gemm.getInput(1), source);
        float[] b = floats(initializers, gemm.getInput(2), source);
        if (b.length != 1) {
            throw new IllegalArgumentException("reward head " + source + ": bias has " + b.length + " values, expected 1");
        }
        double[] weights = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            weights[i] = w[i];
        }
        return new LinearHead(weights, b[0], metadata);
    }

    private static float[] floats(Map<String, OnnxMl.TensorProto> initializers, String name, String source) {
        OnnxMl.TensorProto t = initializers.get(name);
        if (t == null) {
            throw new IllegalArgumentException("reward head " + source + " has no initializer '" + name + "' (found "
                    + new java.util.TreeSet<>(initializers.keySet()) + "); it was not written by RewardHeadOnnx");
        }
        if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber()) {
            throw new IllegalArgumentException("reward head " + source + ": initializer '" + name + "' is not float32");
        }
        if (t.getFloatDataCount() > 0) {
            float[] out = new float[t.getFloatDataCount()];
            for (int i = 0; i < out.length; i++) {
                out[i] = t.getFloatData(i);
            }
            return out;
        }
        FloatBuffer raw = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[raw.remaining()];
        raw.get(out);
        return out;
    }
}
