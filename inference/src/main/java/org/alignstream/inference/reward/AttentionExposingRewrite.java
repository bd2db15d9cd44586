package org.alignstream.inference.reward;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.alignstream.inference.onnx.OnnxModelException;

/**
 * Rewrites a BERT-style encoder ONNX graph so that it also outputs the attention probabilities
 * of its <em>last</em> layer, {@value #OUTPUT_NAME} of shape {@code [batch, heads, seq, seq]}
 * (float), for attention-based reward redistribution ("Dense Reward for Free in RLHF", Chan et
 * al. 2024). Only an {@code Identity} node and one graph output are added; every existing node,
 * initializer and output is left as it was, so the original outputs are computed exactly as
 * before.
 *
 * <h2>What the all-MiniLM-L6-v2 int8 graph looks like</h2>
 * Found by parsing {@code all-minilm-l6-v2-q.onnx} (langchain4j artifact) with
 * {@link OnnxMl.ModelProto#parseFrom(byte[])}: producer {@code onnx.quantize 0.1.0}, IR 6,
 * opset 11, 772 nodes, 180 initializers; inputs {@code input_ids}, {@code attention_mask},
 * {@code token_type_ids} (int64 {@code [batch_size, sequence_length]}); one output
 * {@code last_hidden_state} (float {@code [batch_size, sequence_length, 384]}). It is an
 * onnxruntime <em>dynamic</em> int8 quantisation: every Linear layer is
 * {@code DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scale) -> Add(bias)} (36
 * {@code MatMulInteger}, 24 {@code DynamicQuantizeLinear}), embeddings are int8 {@code Gather}
 * + {@code DequantizeLinear}, LayerNorm and GELU are decomposed ({@code ReduceMean/Sub/Pow/Sqrt/Div},
 * {@code Erf}). The attention core stays float: 12 float {@code MatMul}s (Q·K<sup>T</sup> and
 * probabilities·V in each of the 6 layers) and 6 float {@code Softmax} nodes, one per layer.
 * The last layer's attention block (12 heads of 32 dims) is:
 * <pre>
 * /encoder/layer.5/attention/self/{query,key,value}/Add        (projection + bias, [B,S,384])
 * /encoder/layer.5/attention/self/Reshape_2, Reshape, Reshape_1 (-> [B,S,12,32])
 * /encoder/layer.5/attention/self/Transpose_1  perm [0,2,1,3]   (Q  [B,12,S,32])
 * /encoder/layer.5/attention/self/Transpose_2  perm [0,2,3,1]   (K^T [B,12,32,S])
 * /encoder/layer.5/attention/self/MatMul       Q·K^T            ([B,12,S,S])
 * /encoder/layer.5/attention/self/Div          / sqrt(32) = 5.657
 * /encoder/layer.5/attention/self/Add          + /Mul_output_0  (extended mask (1 - mask) * -3.4028235e38)
 * /encoder/layer.5/attention/self/Softmax      axis 3 -> /encoder/layer.5/attention/self/Softmax_output_0
 * /encoder/layer.5/attention/self/MatMul_1     probabilities·V (Transpose perm [0,2,1,3] of value)
 * </pre>
 * The graph's {@code value_info} types {@code Softmax_output_0} as float with no shape. Because
 * the mask adds the most negative float, padded key positions get probability exactly 0.
 *
 * <h2>How the tensor is found</h2>
 * By structure, not by name: nodes are put in topological order (Kahn's algorithm, so the file's
 * node order does not matter), and the chosen tensor is the output of the last {@code Softmax}
 * that (1) normalises the last axis ({@code axis} -1 or 3), (2) is fed, through at most
 * {@value #MAX_SCORE_HOPS} element-wise ops ({@code Add/Sub/Mul/Div/Where/Cast/...}: scaling,
 * masking, dequantisation), by a matrix product of two activations (Q·K<sup>T</sup>:
 * {@code MatMul}, {@code FusedMatMul}, {@code MatMulInteger} or {@code QLinearMatMul}, neither
 * operand a constant), and (3) feeds, directly or through cast/quantise nodes, the left operand of
 * another activation matrix product (probabilities·V). A classifier's Softmax over logits
 * fails (2) and (3) and is skipped. A graph with no such Softmax (a reward head, or an encoder
 * whose attention was fused into one {@code Attention} op) is rejected with a message saying
 * what was found.
 */
public final class AttentionExposingRewrite {

    /** Name of the added graph output. */
    public static final String OUTPUT_NAME = "last_layer_attention";

    static final int MAX_SCORE_HOPS = 6;
    private static final Set<String> SCORE_PASS_THROUGH = Set.of("Add", "Sub", "Mul", "Div", "Where", "Cast",
            "Identity", "Max", "Min", "Clip", "Neg");
    private static final Set<String> MATRIX_PRODUCTS = Set.of("MatMul", "FusedMatMul", "MatMulInteger", "QLinearMatMul");
    private static final Set<String> PROBS_PASS_THROUGH = Set.of("Cast", "Identity", "Dropout", "DynamicQuantizeLinear",
            "QuantizeLinear");
    private static final Set<String> FUSED_ATTENTION = Set.of("Attention", "MultiHeadAttention", "QAttention",
            "PackedAttention", "GroupQueryAttention", "DecoderAttention", "SparseAttention");

    private AttentionExposingRewrite() {
    }

    /**
     * The last layer's attention probabilities as found in a graph.
     *
     * @param softmaxNode     name of the Softmax node (e.g. {@code /encoder/layer.5/attention/self/Softmax})
     * @param probabilities   its output tensor, exposed as {@link #OUTPUT_NAME}
     * @param scoresProduct   name of the Q·K<sup>T</sup> product node feeding it
     * @param valuesProduct   name of the probabilities·V product node it feeds
     * @param layerIndex      0-based index of this attention Softmax among all attention Softmaxes
     *                        (5 for the 6-layer MiniLM)
     * @param attentionLayers number of attention Softmaxes found
     * @param softmaxNodes    number of Softmax nodes of any kind in the graph
     */
    public record LastLayerAttention(String softmaxNode, String probabilities, String scoresProduct,
            String valuesProduct, int layerIndex, int attentionLayers, int softmaxNodes) {
    }

    /** A rewritten model and what was exposed. */
    public record Rewritten(byte[] model, LastLayerAttention attention) {
    }

    /** The model with {@value #OUTPUT_NAME} added as a graph output; see {@link #expose(byte[])}. */
    public static byte[] rewrite(byte[] model) {
        return expose(model).model();
    }

    /**
     * Adds {@value #OUTPUT_NAME} (float, {@code [batch, heads, seq, seq]}, symbolic dims) as the
     * last graph output, fed by an {@code Identity} of the last layer's attention probabilities.
     *
     * @throws OnnxModelException if the bytes are not an ONNX model, the graph has no attention
     *                            Softmax, or already has a tensor named {@value #OUTPUT_NAME}
     */
    public static Rewritten expose(byte[] model) {
        OnnxMl.ModelProto proto = parse(model);
        OnnxMl.GraphProto graph = proto.getGraph();
        LastLayerAttention found = find(graph, defaultOpset(proto));
        if (allTensorNames(graph).contains(OUTPUT_NAME)) {
            throw new OnnxModelException("ONNX graph '" + graph.getName() + "' already has a tensor named '" + OUTPUT_NAME
                    + "'; refusing to rewrite it again");
        }
        OnnxMl.NodeProto identity = OnnxMl.NodeProto.newBuilder()
                .setName("alignstream/expose_last_layer_attention")
                .setOpType("Identity")
                .addInput(found.probabilities())
                .addOutput(OUTPUT_NAME)
                .setDocString("Exposes the attention probabilities of " + found.softmaxNode())
                .build();
        OnnxMl.GraphProto rewritten = graph.toBuilder()
                .addNode(identity)
                .addOutput(outputInfo(graph, found.probabilities()))
                .build();
        byte[] bytes = proto.toBuilder().setGraph(rewritten).build().toByteArray();
        return new Rewritten(bytes, found);
    }

    /** Locates the last layer's attention probabilities without rewriting. */
    public static LastLayerAttention find(byte[] model) {
        OnnxMl.ModelProto proto = parse(model);
        return find(proto.getGraph(), defaultOpset(proto));
    }

    static LastLayerAttention find(OnnxMl.GraphProto graph, long defaultOpset) {
        List<OnnxMl.NodeProto> order = topologicalOrder(graph);
        Map<String, OnnxMl.NodeProto> producer = new HashMap<>();
        Map<String, List<OnnxMl.NodeProto>> consumers = new HashMap<>();
        for (OnnxMl.NodeProto node : order) {
            for (String out : node.getOutputList()) {
                producer.put(out, node);
            }
            for (String in : node.getInputList()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(node);
            }
        }
        Set<String> constants = constantNames(graph);
        int softmaxes = 0;
        List<LastLayerAttention> matches = new ArrayList<>();
        for (OnnxMl.NodeProto node : order) {
            if (!isDefaultDomain(node) || !node.getOpType().equals("Softmax")) {
                continue;
            }
            softmaxes++;
            if (!normalisesLastAxis(node, defaultOpset) || node.getInputCount() < 1) {
                continue;
            }
            OnnxMl.NodeProto scores = findScoresProduct(node.getInput(0), producer, constants);
            OnnxMl.NodeProto values = scores == null ? null : findValuesProduct(node.getOutput(0), consumers, constants);
            if (values != null) {
                matches.add(new LastLayerAttention(node.getName(), node.getOutput(0), scores.getName(), values.getName(),
                        matches.size(), 0, 0));
            }
        }
        if (matches.isEmpty()) {
            Map<String, Integer> fused = new TreeMap<>();
            for (OnnxMl.NodeProto node : order) {
                if (FUSED_ATTENTION.contains(node.getOpType())) {
                    fused.merge(node.getOpType(), 1, Integer::sum);
                }
            }
            throw new OnnxModelException("ONNX graph '" + graph.getName() + "' (" + graph.getNodeCount()
                    + " nodes) has no attention Softmax to expose: " + softmaxes + " Softmax node(s), none normalising"
                    + " the last axis of a Q·K^T product of two activations (MatMul/FusedMatMul/MatMulInteger/"
                    + "QLinearMatMul, through at most " + MAX_SCORE_HOPS + " element-wise ops) and feeding a"
                    + " probabilities·V product" + (fused.isEmpty() ? "" : "; fused attention ops " + fused
                    + " hide their probabilities (export the model unfused)"));
        }
        LastLayerAttention last = matches.get(matches.size() - 1);
        return new LastLayerAttention(last.softmaxNode(), last.probabilities(), last.scoresProduct(),
                last.valuesProduct(), last.layerIndex(), matches.size(), softmaxes);
    }

    /** Walks back from the Softmax input through element-wise ops to a product of two activations. */
    private static OnnxMl.NodeProto findScoresProduct(String tensor, Map<String, OnnxMl.NodeProto> producer,
            Set<String> constants) {
        Deque<String> frontier = new ArrayDeque<>();
        Map<String, Integer> depth = new HashMap<>();
        frontier.add(tensor);
        depth.put(tensor, 0);
        while (!frontier.isEmpty()) {
            String t = frontier.poll();
            OnnxMl.NodeProto node = producer.get(t);
            if (node == null) {
                continue;
            }
            if (MATRIX_PRODUCTS.contains(node.getOpType()) && twoActivations(node, constants)) {
                return node;
            }
            if (!SCORE_PASS_THROUGH.contains(node.getOpType()) || depth.get(t) >= MAX_SCORE_HOPS) {
                continue;
            }
            for (String in : node.getInputList()) {
                if (!in.isEmpty() && !constants.contains(in) && !depth.containsKey(in)) {
                    depth.put(in, depth.get(t) + 1);
                    frontier.add(in);
                }
            }
        }
        return null;
    }

    /** Follows the probabilities forward (through casts/quantisation) to a product where they are the left operand. */
    private static OnnxMl.NodeProto findValuesProduct(String tensor, Map<String, List<OnnxMl.NodeProto>> consumers,
            Set<String> constants) {
        Deque<String> frontier = new ArrayDeque<>(List.of(tensor));
        Set<String> seen = new HashSet<>(frontier);
        while (!frontier.isEmpty()) {
            String t = frontier.poll();
            for (OnnxMl.NodeProto node : consumers.getOrDefault(t, List.of())) {
                if (MATRIX_PRODUCTS.contains(node.getOpType()) && node.getInput(0).equals(t)
                        && twoActivations(node, constants)) {
                    return node;
                }
                if (PROBS_PASS_THROUGH.contains(node.getOpType()) && node.getOutputCount() > 0
                        && seen.add(node.getOutput(0))) {
                    frontier.add(node.getOutput(0));
                }
            }
        }
        return null;
    }

    /** The two data operands of a matrix product (A, B; for QLinearMatMul inputs 0 and 3) are both non-constant. */
    private static boolean twoActivations(OnnxMl.NodeProto node, Set<String> constants) {
        int b = node.getOpType().equals("QLinearMatMul") ? 3 : 1;
        if (node.getInputCount() <= b) {
            return false;
        }
        String left = node.getInput(0);
        String right = node.getInput(b);
        return !left.isEmpty() && !right.isEmpty() && !constants.contains(left) && !constants.contains(right);
    }

    private static boolean normalisesLastAxis(OnnxMl.NodeProto softmax, long defaultOpset) {
        long axis = defaultOpset >= 13 ? -1 : 1;
        for (OnnxMl.AttributeProto a : softmax.getAttributeList()) {
            if (a.getName().equals("axis")) {
                axis = a.getI();
            }
        }
        // [batch, heads, seq, seq]: the key axis is 3 (before opset 13 axis 3 flattens to the same rows)
        return axis == -1 || axis == 3;
    }

    /** Initializers and outputs of Constant nodes. */
    private static Set<String> constantNames(OnnxMl.GraphProto graph) {
        Set<String> names = new HashSet<>();
        graph.getInitializerList().forEach(t -> names.add(t.getName()));
        graph.getSparseInitializerList().forEach(t -> names.add(t.getValues().getName()));
        for (OnnxMl.NodeProto node : graph.getNodeList()) {
            if (node.getOpType().equals("Constant") && isDefaultDomain(node)) {
                names.addAll(node.getOutputList());
            }
        }
        return names;
    }

    /**
     * Nodes in topological order (stable: ties keep file order). Inputs not produced by any node
     * (graph inputs, initializers, outer-scope names) count as available.
     *
     * @throws OnnxModelException if the graph has a cycle
     */
    static List<OnnxMl.NodeProto> topologicalOrder(OnnxMl.GraphProto graph) {
        List<OnnxMl.NodeProto> nodes = graph.getNodeList();
        Map<String, Integer> producerIndex = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).getOutputList()) {
                if (!out.isEmpty()) {
                    producerIndex.put(out, i);
                }
            }
        }
        int[] pending = new int[nodes.size()];
        List<List<Integer>> dependants = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            dependants.add(new ArrayList<>());
        }
        for (int i = 0; i < nodes.size(); i++) {
            Set<Integer> deps = new HashSet<>();
            for (String in : nodes.get(i).getInputList()) {
                Integer p = producerIndex.get(in);
                if (p != null && p != i && deps.add(p)) {
                    dependants.get(p).add(i);
                }
            }
            pending[i] = deps.size();
        }
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        List<OnnxMl.NodeProto> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(nodes.get(i));
            for (int d : dependants.get(i)) {
                if (--pending[d] == 0) {
                    ready.add(d);
                }
            }
        }
        if (order.size() != nodes.size()) {
            throw new OnnxModelException("ONNX graph '" + graph.getName() + "' has a cycle: only " + order.size() + " of "
                    + nodes.size() + " nodes can be ordered");
        }
        return order;
    }

    /**
     * Float {@code [batch, heads, seq, seq]}: the probabilities' own 4-D shape if the graph's
     * value_info records one, otherwise symbolic dims, batch and sequence named as in the first
     * 2-D graph input ({@code batch_size}, {@code sequence_length} for MiniLM).
     */
    private static OnnxMl.ValueInfoProto outputInfo(OnnxMl.GraphProto graph, String probabilities) {
        for (OnnxMl.ValueInfoProto v : graph.getValueInfoList()) {
            if (v.getName().equals(probabilities) && v.getType().hasTensorType()
                    && v.getType().getTensorType().getShape().getDimCount() == 4) {
                return v.toBuilder().setName(OUTPUT_NAME).setDocString(docString(probabilities)).build();
            }
        }
        String batch = "batch";
        String sequence = "sequence";
        for (OnnxMl.ValueInfoProto input : graph.getInputList()) {
            OnnxMl.TensorShapeProto shape = input.getType().getTensorType().getShape();
            if (shape.getDimCount() == 2 && shape.getDim(0).hasDimParam() && shape.getDim(1).hasDimParam()) {
                batch = shape.getDim(0).getDimParam();
                sequence = shape.getDim(1).getDimParam();
                break;
            }
        }
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (String dim : List.of(batch, "attention_heads", sequence, sequence)) {
            shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(dim));
        }
        return OnnxMl.ValueInfoProto.newBuilder()
                .setName(OUTPUT_NAME)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
                .setDocString(docString(probabilities))
                .build();
    }

    private static String docString(String probabilities) {
        return "Last layer attention probabilities [batch, heads, query, key] (" + probabilities + ")";
    }

    private static Set<String> allTensorNames(OnnxMl.GraphProto graph) {
        Set<String> names = new HashSet<>(constantNames(graph));
        graph.getInputList().forEach(v -> names.add(v.getName()));
        graph.getOutputList().forEach(v -> names.add(v.getName()));
        for (OnnxMl.NodeProto node : graph.getNodeList()) {
            names.addAll(node.getOutputList());
        }
        return names;
    }

    private static boolean isDefaultDomain(OnnxMl.NodeProto node) {
        return node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
    }

    private static long defaultOpset(OnnxMl.ModelProto model) {
        for (OnnxMl.OperatorSetIdProto opset : model.getOpsetImportList()) {
            if (opset.getDomain().isEmpty() || opset.getDomain().equals("ai.onnx")) {
                return opset.getVersion();
            }
        }
        return 1;
    }

    private static OnnxMl.ModelProto parse(byte[] model) {
        if (model == null || model.length == 0) {
            throw new OnnxModelException("ONNX model bytes are empty");
        }
        try {
            OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(model);
            if (!proto.hasGraph()) {
                throw new OnnxModelException("ONNX model (" + model.length + " bytes) has no graph");
            }
            return proto;
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxModelException("Not an ONNX model (" + model.length + " bytes): " + e.getMessage(), e);
        }
    }
}
