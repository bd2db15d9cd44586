package org.alignstream.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.alignstream.inference.onnx.OnnxModelCheck;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;

/**
 * {@link MeanPoolingEncoder}'s features plus the encoder's last-layer attention, for
 * attention-based dense rewards ("Dense Reward for Free in RLHF", Chan et al. 2024): runs the
 * encoder rewritten by {@link AttentionExposingRewrite} once per padded batch and returns, per
 * text, the pooled features (bit-identical to {@link MeanPoolingEncoder#encode} on the same
 * batch) and the attention of the final real token over the text's real tokens, averaged over
 * heads and renormalised to sum 1 ({@link TokenAttention}). {@link #encodeBatch} also gives the
 * raw per-head probabilities.
 *
 * <p>The session holds its own copy of the model (as much memory as a {@link MeanPoolingEncoder})
 * and returns {@code batch x heads x length^2} extra floats per call (12 MB for 16 texts of 128
 * tokens with MiniLM's 12 heads). Measured on the 2-core dev machine, one intra-op thread, 16
 * sentences of models/reward-sentiment: 172 ms per batch against 152 ms for
 * {@link MeanPoolingEncoder#encode} (interleaved, 10 runs each), about 13% more.
 *
 * <p>With MiniLM int8 the attention of a text depends slightly on its batch-mates, because the
 * int8 activations are quantised with one scale per batch tensor: see
 * {@code AttentionEncoderTest#batchAndSingleAttentionAgreeWithinQuantisationNoise}.
 */
public final class AttentionEncoder implements AutoCloseable {

    public static final String ATTENTION = AttentionExposingRewrite.OUTPUT_NAME;

    private final String name;
    private final OrtSession session;
    private final BatchTokenizer tokenizer;
    private final String textPrefix;
    private final int dimension;
    private final AttentionExposingRewrite.LastLayerAttention source;

    /**
     * Takes ownership of {@code session} (opened on a model rewritten by
     * {@link AttentionExposingRewrite}) and {@code tokenizer}.
     *
     * @param source what the rewrite exposed (for reporting; may be null)
     */
    public AttentionEncoder(String name, OrtSession session, BatchTokenizer tokenizer, String textPrefix,
            AttentionExposingRewrite.LastLayerAttention source) {
        this.name = name;
        this.session = session;
        this.tokenizer = tokenizer;
        this.textPrefix = textPrefix == null ? "" : textPrefix;
        this.source = source;
        try {
            OnnxModelCheck.requireInputs(session, name, List.of(TokenBatch.INPUT_IDS, TokenBatch.ATTENTION_MASK),
                    List.of(TokenBatch.TOKEN_TYPE_IDS));
            OnnxModelCheck.requireOutputs(session, name, List.of(MeanPoolingEncoder.LAST_HIDDEN_STATE, ATTENTION));
            long[] hidden = OnnxModelCheck.shape(session, name, MeanPoolingEncoder.LAST_HIDDEN_STATE);
            long[] attention = OnnxModelCheck.shape(session, name, ATTENTION);
            if (hidden.length != 3 || hidden[2] <= 0 || attention.length != 4) {
                throw new OnnxModelException("ONNX model " + name + ": expected " + MeanPoolingEncoder.LAST_HIDDEN_STATE
                        + " [batch, tokens, hidden] and " + ATTENTION + " [batch, heads, tokens, tokens], got "
                        + Arrays.toString(hidden) + " and " + Arrays.toString(attention));
            }
            this.dimension = (int) hidden[2];
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** all-MiniLM-L6-v2 (int8) from the langchain4j artifact, rewritten in memory. */
    public static AttentionEncoder miniLm(OrtSessions sessions) {
        return fromClasspath(sessions, MeanPoolingEncoder.MINILM_NAME, MeanPoolingEncoder.MINILM_MODEL_RESOURCE,
                MeanPoolingEncoder.MINILM_TOKENIZER_RESOURCE, MeanPoolingEncoder.MINILM_MAX_TOKENS, "");
    }

    /** e5-small-v2 (int8) from the langchain4j artifact, rewritten in memory, with its {@code "query: "} prefix. */
    public static AttentionEncoder e5SmallV2(OrtSessions sessions) {
        return fromClasspath(sessions, MeanPoolingEncoder.E5_NAME, MeanPoolingEncoder.E5_MODEL_RESOURCE,
                MeanPoolingEncoder.E5_TOKENIZER_RESOURCE, MeanPoolingEncoder.E5_MAX_TOKENS,
                MeanPoolingEncoder.E5_TEXT_PREFIX);
    }

    /** The shipped encoder called {@code name}, as {@link MeanPoolingEncoder#forName}. */
    public static AttentionEncoder forName(String name, OrtSessions sessions) {
        return switch (name) {
            case MeanPoolingEncoder.MINILM_NAME -> miniLm(sessions);
            case MeanPoolingEncoder.E5_NAME -> e5SmallV2(sessions);
            default -> throw new IllegalArgumentException("unknown encoder '" + name + "' (known: "
                    + MeanPoolingEncoder.MINILM_NAME + ", " + MeanPoolingEncoder.E5_NAME + ")");
        };
    }

    private static AttentionEncoder fromClasspath(OrtSessions sessions, String name, String modelResource,
            String tokenizerResource, int maxTokens, String textPrefix) {
        AttentionExposingRewrite.Rewritten rewritten =
                AttentionExposingRewrite.expose(MeanPoolingEncoder.readResource(modelResource));
        BatchTokenizer tokenizer = BatchTokenizer.fromClasspath(tokenizerResource, maxTokens);
        OrtSession session;
        try {
            session = sessions.open(rewritten.model(), "classpath:" + modelResource + " + " + ATTENTION);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return new AttentionEncoder(name, session, tokenizer, textPrefix, rewritten.attention());
    }

    public String name() {
        return name;
    }

    public int dimension() {
        return dimension;
    }

    public BatchTokenizer tokenizer() {
        return tokenizer;
    }

    /** What the rewrite exposed (Softmax node, layer index), or null if not given. */
    public AttentionExposingRewrite.LastLayerAttention source() {
        return source;
    }

    /** Per-text features and final-token attention over real tokens, one ONNX call; empty in, empty out. */
    public List<TokenAttention> encode(List<String> texts) {
        return texts.isEmpty() ? List.of() : encodeBatch(texts).items();
    }

    /** Features and raw per-head attention of {@code texts} as one padded batch, one ONNX call. */
    public AttentionBatch encodeBatch(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("texts must contain at least one text");
        }
        TokenBatch batch = tokenizer.encode(textPrefix.isEmpty() ? texts
                : texts.stream().map(t -> t == null ? null : textPrefix + t).toList());
        try (OrtSession.Result result = batch.run(session, Set.of(MeanPoolingEncoder.LAST_HIDDEN_STATE, ATTENTION))) {
            OnnxTensor hidden = tensor(result, MeanPoolingEncoder.LAST_HIDDEN_STATE);
            OnnxTensor attention = tensor(result, ATTENTION);
            long[] h = hidden.getInfo().getShape();
            long[] a = attention.getInfo().getShape();
            int n = batch.batchSize();
            int length = batch.length();
            if (h.length != 3 || h[0] != n || h[1] != length || h[2] != dimension
                    || a.length != 4 || a[0] != n || a[1] <= 0 || a[2] != length || a[3] != length) {
                throw new OnnxModelException(name + " returned " + MeanPoolingEncoder.LAST_HIDDEN_STATE + " "
                        + Arrays.toString(h) + " and " + ATTENTION + " " + Arrays.toString(a) + " for a batch of " + n
                        + " x " + length + " tokens");
            }
            float[][] features = MeanPoolingEncoder.meanPoolAndNormalise(hidden.getFloatBuffer(), batch, dimension);
            FloatBuffer buffer = attention.getFloatBuffer();
            float[] probabilities = new float[buffer.remaining()];
            buffer.get(probabilities);
            return new AttentionBatch(texts, batch, features, probabilities, (int) a[1]);
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed running " + name + " on " + texts.size() + " texts: "
                    + e.getMessage(), e);
        }
    }

    private OnnxTensor tensor(OrtSession.Result result, String output) {
        OnnxValue value = result.get(output).orElseThrow(() -> new OnnxModelException(name + " returned no " + output));
        if (!(value instanceof OnnxTensor tensor)) {
            throw new OnnxModelException(name + " returned a non-tensor " + output);
        }
        return tensor;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new OnnxModelException("Cannot close ONNX session of " + name + ": " + e.getMessage(), e);
        } finally {
            tokenizer.close();
        }
    }
}
