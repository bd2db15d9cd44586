package org.alignstream.inference.reward;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Decides whether a reward model is batch-invariant: whether a group of texts gets, bit for bit, the same rewards,
 * embeddings and per-token credit when scored inside one padded batch with other groups ({@link RewardModel#scoreGroups})
 * as when scored alone ({@link RewardModel#score(String, List, RewardModel.Outputs)}, one call per candidate set). Only
 * then may a scorer merge the candidate sets of concurrent requests into one call without a request's answer depending
 * on which other requests arrived at the same moment ("same seed, same request, same response").
 *
 * <p>The check runs the model (the honest test: it covers the encoder, the head, padding and ONNX Runtime's kernels as
 * they are on this machine): a fixed probe of groups of different lengths and outputs is scored group by group, then
 * merged in three orders and mixes; every value must match bit for bit. It also reports, from the graph when the
 * loader inspected it, whether the model quantises activations over the whole batch ({@code DynamicQuantizeLinear},
 * as the shipped int8 MiniLM and e5 do); such a model is never treated as invariant and is not probed at all (the
 * probe finds the difference too, see BatchInvarianceTest, but would cost its calls at every hot swap). Run it
 * off the hot path, when a model or version is loaded (a few calls of about a dozen texts).
 */
public final class BatchInvariance {

    /** The ONNX operator that quantises a tensor with a scale computed from that whole tensor (the batch). */
    public static final String DYNAMIC_QUANTIZE = "DynamicQuantizeLinear";

    /**
     * The outcome of a check.
     *
     * @param invariant          whether merged groups score bit-identically to groups scored alone
     * @param merges             whether the model has a merged batch path at all ({@link RewardModel#mergesGroups})
     * @param quantisesOverBatch what the graph says ({@link RewardModel#quantisesOverBatch}), null if not inspected
     * @param detail             why, in a sentence (the first mismatch when there is one)
     */
    public record Verdict(boolean invariant, boolean merges, Boolean quantisesOverBatch, String detail) {
        /** {@code merged} (candidate sets of several records in one call) or {@code per-record}. */
        public String mode() {
            return invariant ? "merged" : "per-record";
        }
    }

    private static final String LONG_TEXT = "The film was really very good and I enjoyed the story a lot, but the food "
            + "was terrible, the service was so boring and the weather was awful all day, so tell me about how your "
            + "team and the product were, please, because this is what I would like to write in my review of the book";

    /** Groups of different sizes and text lengths (1 to about 60 tokens). */
    static final List<List<String>> PROBE_TEXTS = List.of(
            List.of("What a lovely day.", "This is awful."),
            List.of("ok", LONG_TEXT, "I hate it.", "The food was excellent and the team was wonderful."),
            List.of("Tell me about the weather, please."),
            List.of("bad", "good", "a", "It was a fine, okay book but not a great one."));

    private BatchInvariance() {
    }

    /** Probes {@code model} (see the class comment). Never throws for a model that fails: that is a verdict too. */
    public static Verdict check(RewardModel model) {
        Boolean quantises = model.quantisesOverBatch();
        if (!model.mergesGroups()) {
            return new Verdict(false, false, quantises, "the model scores one group per call (no merged batch path)");
        }
        if (Boolean.TRUE.equals(quantises)) {
            // decided by the graph: no probe needed (it would cost a dozen model calls at every hot swap)
            return new Verdict(false, true, true, "the graph quantises activations over the whole batch ("
                    + DYNAMIC_QUANTIZE + ")");
        }
        String mismatch;
        try {
            mismatch = probe(model);
        } catch (RuntimeException e) {
            return new Verdict(false, true, quantises, "the probe failed: " + e);
        }
        return mismatch == null
                ? new Verdict(true, true, quantises, "groups merged into one batch score bit-identically to groups alone")
                : new Verdict(false, true, quantises, mismatch);
    }

    /**
     * Scores the probe groups alone and merged (in order, reversed, and each group inside a batch with the others
     * around it) and compares bit for bit; returns the first mismatch in words, or null when everything matches.
     */
    public static String probe(RewardModel model) {
        List<RewardModel.Group> groups = probeGroups(model);
        List<RewardModel.Scores> alone = new ArrayList<>();
        for (RewardModel.Group g : groups) {
            alone.add(model.score(g.prompt(), g.responses(), g.outputs()));
        }
        List<Integer> order = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            order.add(g);
        }
        String m = compare(model, groups, alone, order, "merged in order");
        if (m != null) {
            return m;
        }
        List<Integer> reversed = new ArrayList<>(order);
        Collections.reverse(reversed);
        m = compare(model, groups, alone, reversed, "merged in reverse order");
        if (m != null) {
            return m;
        }
        for (int g = 0; g < groups.size(); g++) { // each group with a shorter and a longer neighbour, then a single
            m = compare(model, groups, alone, List.of((g + 1) % groups.size(), g, (g + 2) % groups.size()),
                    "merged with other groups");
            if (m != null) {
                return m;
            }
        }
        return null;
    }

    private static List<RewardModel.Group> probeGroups(RewardModel model) {
        List<RewardModel.Outputs> outputs = new ArrayList<>();
        outputs.add(RewardModel.Outputs.REWARDS);
        if (model.hasEmbeddings()) {
            outputs.add(new RewardModel.Outputs(true, false, 0.5));
        }
        if (model.hasTokenCredit()) {
            outputs.add(new RewardModel.Outputs(false, true, 0.5));
            outputs.add(new RewardModel.Outputs(model.hasEmbeddings(), true, 0.25));
        }
        List<RewardModel.Group> groups = new ArrayList<>();
        for (int g = 0; g < PROBE_TEXTS.size(); g++) {
            groups.add(new RewardModel.Group(g % 2 == 0 ? "Write a review." : "", PROBE_TEXTS.get(g),
                    outputs.get(g % outputs.size())));
        }
        return groups;
    }

    private static String compare(RewardModel model, List<RewardModel.Group> groups, List<RewardModel.Scores> alone,
                                  List<Integer> order, String how) {
        List<RewardModel.Group> batch = order.stream().map(groups::get).toList();
        List<RewardModel.Scores> merged = model.scoreGroups(batch);
        if (merged.size() != batch.size()) {
            return how + ": " + merged.size() + " results for " + batch.size() + " groups";
        }
        for (int i = 0; i < order.size(); i++) {
            int g = order.get(i);
            String m = differs(alone.get(g), merged.get(i), groups.get(g).responses());
            if (m != null) {
                return how + ", probe group " + g + ": " + m;
            }
        }
        return null;
    }

    /** The first bit-level difference between two results for the same texts, or null. */
    static String differs(RewardModel.Scores a, RewardModel.Scores b, List<String> texts) {
        if (a.rewards().length != b.rewards().length) {
            return "reward count " + a.rewards().length + " vs " + b.rewards().length;
        }
        for (int i = 0; i < a.rewards().length; i++) {
            if (Double.doubleToRawLongBits(a.rewards()[i]) != Double.doubleToRawLongBits(b.rewards()[i])) {
                return "reward of '" + texts.get(i) + "' is " + a.rewards()[i] + " alone and " + b.rewards()[i]
                        + " in the merged batch";
            }
        }
        if ((a.embeddings() == null) != (b.embeddings() == null)) {
            return "embeddings present in only one result";
        }
        if (a.embeddings() != null) {
            for (int i = 0; i < a.embeddings().length; i++) {
                if (!bitEqual(a.embeddings()[i], b.embeddings()[i])) {
                    return "embedding of '" + texts.get(i) + "' differs";
                }
            }
        }
        if ((a.credits() == null) != (b.credits() == null)) {
            return "credit present in only one result";
        }
        if (a.credits() != null) {
            for (int i = 0; i < a.credits().size(); i++) {
                ResponseCredit x = a.credits().get(i);
                ResponseCredit y = b.credits().get(i);
                if (!x.tokens().equals(y.tokens()) || !bitEqual(x.credits(), y.credits())) {
                    return "token credit of '" + texts.get(i) + "' differs";
                }
            }
        }
        return null;
    }

    private static boolean bitEqual(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean bitEqual(double[] a, double[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether an ONNX graph (its main graph or a subgraph) has a {@value #DYNAMIC_QUANTIZE} node; null if the bytes do
     * not parse as a model.
     */
    public static Boolean quantisesOverBatch(byte[] onnxModel) {
        try {
            return hasOp(OnnxMl.ModelProto.parseFrom(onnxModel).getGraph(), DYNAMIC_QUANTIZE);
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    private static boolean hasOp(OnnxMl.GraphProto graph, String op) {
        for (OnnxMl.NodeProto node : graph.getNodeList()) {
            if (node.getOpType().equals(op)) {
                return true;
            }
            for (OnnxMl.AttributeProto a : node.getAttributeList()) {
                if (a.hasG() && hasOp(a.getG(), op)) {
                    return true;
                }
                for (OnnxMl.GraphProto sub : a.getGraphsList()) {
                    if (hasOp(sub, op)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
