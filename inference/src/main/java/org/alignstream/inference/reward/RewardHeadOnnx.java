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

    /**
     * Parses and checks head bytes that come from outside (e.g. published to {@code reward-models}), before any of them
     * reaches ONNX Runtime: they must be exactly what {@link #write} produces, a graph of one standard-domain
     * {@code Gemm} node without attributes, the input {@value #INPUT} and the output {@value #OUTPUT} only, float32 weights held in the
     * model (no external data, no functions, no other nodes or initializers), as many weights as the metadata's
     * feature dimension, and all finite. A caller then loads {@code write(readStrict(bytes))}: ONNX Runtime only ever
     * sees a graph this class built. (Tribuo writes the Gemm's result to {@value #OUTPUT} through an Identity node.)
     *
     * @throws IllegalArgumentException naming the first check that fails
     */
    public static LinearHead readStrict(byte[] bytes, String source) {
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("reward head " + source + " is not an ONNX model: " + e.getMessage(), e);
        }
        String prefix = "reward head " + source + ": ";
        if (!model.hasGraph()) {
            throw new IllegalArgumentException(prefix + "no graph");
        }
        if (model.getFunctionsCount() > 0) {
            throw new IllegalArgumentException(prefix + "defines " + model.getFunctionsCount() + " functions; a head has none");
        }
        OnnxMl.GraphProto graph = model.getGraph();
        List<String> inputs = graph.getInputList().stream().map(OnnxMl.ValueInfoProto::getName).toList();
        List<String> outputs = graph.getOutputList().stream().map(OnnxMl.ValueInfoProto::getName).toList();
        if (!inputs.equals(List.of(INPUT)) || !outputs.equals(List.of(OUTPUT))) {
            throw new IllegalArgumentException(prefix + "inputs " + inputs + " and outputs " + outputs + ", expected ["
                    + INPUT + "] and [" + OUTPUT + "]");
        }
        // Gemm(features, weights, bias) -> reward, or (as Tribuo writes it) Gemm -> t, Identity(t) -> reward
        List<OnnxMl.NodeProto> nodes = graph.getNodeList();
        for (OnnxMl.NodeProto node : nodes) {
            boolean standardDomain = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
            if (!standardDomain || node.getAttributeCount() > 0 || node.getOutputCount() != 1) {
                throw new IllegalArgumentException(prefix + "node '" + node.getOpType() + "' (domain '"
                        + node.getDomain() + "', " + node.getAttributeCount() + " attributes) is not a plain standard"
                        + " operator with one output");
            }
        }
        boolean direct = nodes.size() == 1 && nodes.get(0).getOpType().equals("Gemm")
                && nodes.get(0).getOutput(0).equals(OUTPUT);
        boolean viaIdentity = nodes.size() == 2 && nodes.get(0).getOpType().equals("Gemm")
                && nodes.get(1).getOpType().equals("Identity") && nodes.get(1).getInputCount() == 1
                && nodes.get(1).getInput(0).equals(nodes.get(0).getOutput(0))
                && nodes.get(1).getOutput(0).equals(OUTPUT);
        if (!direct && !viaIdentity) {
            throw new IllegalArgumentException(prefix + nodes.size() + " nodes " + nodes.stream()
                    .map(OnnxMl.NodeProto::getOpType).toList() + ", expected Gemm(" + INPUT + ", weights, bias) giving '"
                    + OUTPUT + "' (possibly through one Identity)");
        }
        if (graph.getInitializerCount() != 2 || graph.getSparseInitializerCount() > 0) {
            throw new IllegalArgumentException(prefix + graph.getInitializerCount() + " initializers and "
                    + graph.getSparseInitializerCount() + " sparse ones, expected the weights and the bias");
        }
        for (OnnxMl.TensorProto t : graph.getInitializerList()) {
            if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
                throw new IllegalArgumentException(prefix + "initializer '" + t.getName() + "' refers to external data");
            }
        }
        LinearHead head = read(bytes, source);
        if (head.weights().length != head.metadata().featureDim()) {
            throw new IllegalArgumentException(prefix + head.weights().length + " weights but feature_dim "
                    + head.metadata().featureDim());
        }
        boolean finite = Double.isFinite(head.bias());
        for (double w : head.weights()) {
            finite &= Double.isFinite(w);
        }
        if (!finite) {
            throw new IllegalArgumentException(prefix + "a weight or the bias is not finite");
        }
        return head;
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
