package org.alignstream.inference.reward;

import java.util.List;
import org.alignstream.inference.onnx.OrtSessions;

/**
 * {@link MeanPoolingEncoder}'s features plus the encoder's last-layer attention, for
 * attention-based dense rewards ("Dense Reward for Free in RLHF", Chan et al. 2024): runs the
 * encoder rewritten by {@link AttentionExposingRewrite} once per padded batch and returns, per
 * text, the pooled features (bit-identical to {@link MeanPoolingEncoder#encode} on the same
 * batch) and the attention of the final real token over the text's real tokens, averaged over
 * heads and renormalised to sum 1 ({@link TokenAttention}). {@link #encodeBatch} also gives the
 * raw per-head probabilities and the token states. A view of a {@link MeanPoolingEncoder} opened
 * with {@code exposeAttention}, which does the work (a reward model uses that encoder directly,
 * so that its rewards and the attention come from one session and one pass).
 *
 * <p>A call returns {@code batch x heads x length^2} extra floats (12 MB for 16 texts of 128
 * tokens with MiniLM's 12 heads). Measured on the 2-core dev machine, one intra-op thread, 16
 * sentences of models/reward-sentiment: 172 ms per batch against 152 ms for
 * {@link MeanPoolingEncoder#encode} (interleaved, 10 runs each), about 13% more. Scoring with the
 * {@code sentiment} reward and its dense credit from this pass, against plain scoring (80 paired
 * runs of 16 sentences, under a load average of 16): median per-run ratio 1.03, best runs 28.6
 * against 26.9 ms; the rewritten graph without fetching the attention, 0.99.
 *
 * <p>With MiniLM int8 the attention of a text depends slightly on its batch-mates, because the
 * int8 activations are quantised with one scale per batch tensor: see
 * {@code AttentionEncoderTest#batchAndSingleAttentionAgreeWithinQuantisationNoise}.
 */
public final class AttentionEncoder implements AutoCloseable {

    public static final String ATTENTION = AttentionExposingRewrite.OUTPUT_NAME;

    private final MeanPoolingEncoder encoder;

    /**
     * Takes ownership of {@code encoder}, which must output the attention ({@link MeanPoolingEncoder#hasAttention()}).
     */
    public AttentionEncoder(MeanPoolingEncoder encoder) {
        if (!encoder.hasAttention()) {
            String name = encoder.name();
            encoder.close();
            throw new IllegalArgumentException("encoder " + name + " does not output " + ATTENTION
                    + "; open it with exposeAttention (AttentionExposingRewrite)");
        }
        this.encoder = encoder;
    }

    /** all-MiniLM-L6-v2 (int8) from the langchain4j artifact, rewritten in memory. */
    public static AttentionEncoder miniLm(OrtSessions sessions) {
        return new AttentionEncoder(MeanPoolingEncoder.miniLm(sessions, true));
    }

    /** e5-small-v2 (int8) from the langchain4j artifact, rewritten in memory, with its {@code "query: "} prefix. */
    public static AttentionEncoder e5SmallV2(OrtSessions sessions) {
        return new AttentionEncoder(MeanPoolingEncoder.e5SmallV2(sessions, true));
    }

    /** The shipped encoder called {@code name}, as {@link MeanPoolingEncoder#forName}. */
    public static AttentionEncoder forName(String name, OrtSessions sessions) {
        return new AttentionEncoder(MeanPoolingEncoder.forName(name, sessions, true));
    }

    public String name() {
        return encoder.name();
    }

    public int dimension() {
        return encoder.dimension();
    }

    public BatchTokenizer tokenizer() {
        return encoder.tokenizer();
    }

    /** The encoder doing the work. */
    public MeanPoolingEncoder encoder() {
        return encoder;
    }

    /** What the rewrite exposed (Softmax node, layer index), or null if not given. */
    public AttentionExposingRewrite.LastLayerAttention source() {
        return encoder.attentionSource();
    }

    /** Per-text features and final-token attention over real tokens, one ONNX call; empty in, empty out. */
    public List<TokenAttention> encode(List<String> texts) {
        return texts.isEmpty() ? List.of() : encodeBatch(texts).items();
    }

    /** Features, token states and raw per-head attention of {@code texts} as one padded batch, one ONNX call. */
    public AttentionBatch encodeBatch(List<String> texts) {
        return encoder.encodeWithAttention(texts);
    }

    @Override
    public void close() {
        encoder.close();
    }
}
