package org.alignstream.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Set;
import org.alignstream.inference.onnx.OnnxModelCheck;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;

/**
 * Sentence embeddings from a BERT-style ONNX encoder, as sentence-transformers computes them for
 * all-MiniLM-L6-v2 and e5-small-v2: the {@code last_hidden_state} averaged over the tokens the
 * attention mask keeps, then L2-normalised. One padded batch per ONNX call. An optional text
 * prefix is prepended to every text before tokenisation (e5 expects {@code "query: "}).
 *
 * <p>The same call can also give every token's state ({@link #encodeStates}) and, when the session
 * runs a graph rewritten by {@link AttentionExposingRewrite} (the factories' {@code exposeAttention}),
 * the last layer's attention ({@link #encodeWithAttention}): one session serves the pooled
 * features, the token states and the attention. The rewrite leaves {@code last_hidden_state}
 * bit-identical, so the pooled features do not depend on whether it was applied
 * ({@code AttentionEncoderTest}, {@code DenseCreditRewardTest}). {@link #encode} does not fetch the attention output; measured
 * cost of fetching it: see {@link AttentionEncoder}.
 */
public final class MeanPoolingEncoder implements AutoCloseable {

    /** Resource paths inside the langchain4j all-MiniLM-L6-v2 (int8) artifact. */
    public static final String MINILM_MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
    public static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";
    public static final String MINILM_NAME = "all-MiniLM-L6-v2-int8";
    public static final int MINILM_DIMENSION = 384;
    /** Token limit used for MiniLM (sentence-transformers uses 256; 128 covers our texts and halves the cost). */
    public static final int MINILM_MAX_TOKENS = 128;

    /** Resource paths inside the langchain4j e5-small-v2 (int8) artifact (Xenova's {@code model_quantized.onnx}). */
    public static final String E5_MODEL_RESOURCE = "e5-small-v2-q.onnx";
    public static final String E5_TOKENIZER_RESOURCE = "e5-small-v2-q-tokenizer.json";
    public static final String E5_NAME = "e5-small-v2-int8";
    public static final int E5_DIMENSION = 384;
    /** e5-small-v2's own limit (512 positions); batches are padded to their longest text only. */
    public static final int E5_MAX_TOKENS = 512;
    /**
     * e5 models are trained with a {@code "query: "} or {@code "passage: "} prefix; for symmetric
     * tasks such as classification features the e5 authors use {@code "query: "}.
     */
    public static final String E5_TEXT_PREFIX = "query: ";

    static final String LAST_HIDDEN_STATE = "last_hidden_state";
    /** The extra output of a graph rewritten by {@link AttentionExposingRewrite}. */
    static final String ATTENTION = AttentionExposingRewrite.OUTPUT_NAME;

    private final String name;
    private final OrtSession session;
    private final BatchTokenizer tokenizer;
    private final String textPrefix;
    private final int dimension;
    private final boolean attention;
    private final int prefixTokens;
    private final AttentionExposingRewrite.LastLayerAttention attentionSource;
    private volatile Boolean quantisesOverBatch;

    /** Takes ownership of {@code session} and {@code tokenizer}; no text prefix. */
    public MeanPoolingEncoder(String name, OrtSession session, BatchTokenizer tokenizer) {
        this(name, session, tokenizer, "");
    }

    /**
     * Takes ownership of {@code session} and {@code tokenizer}.
     *
     * @param textPrefix prepended to every text before tokenisation ({@code ""} for none)
     */
    public MeanPoolingEncoder(String name, OrtSession session, BatchTokenizer tokenizer, String textPrefix) {
        this(name, session, tokenizer, textPrefix, null);
    }

    /**
     * Takes ownership of {@code session} and {@code tokenizer}; {@code attentionSource} says what
     * {@link AttentionExposingRewrite} exposed in the session's graph (for reporting; may be null).
     */
    MeanPoolingEncoder(String name, OrtSession session, BatchTokenizer tokenizer, String textPrefix,
            AttentionExposingRewrite.LastLayerAttention attentionSource) {
        this.name = name;
        this.session = session;
        this.tokenizer = tokenizer;
        this.textPrefix = textPrefix == null ? "" : textPrefix;
        this.attentionSource = attentionSource;
        try {
            OnnxModelCheck.requireInputs(session, name, List.of(TokenBatch.INPUT_IDS, TokenBatch.ATTENTION_MASK),
                    List.of(TokenBatch.TOKEN_TYPE_IDS));
            OnnxModelCheck.requireOutputs(session, name, List.of(LAST_HIDDEN_STATE));
            long[] shape = OnnxModelCheck.shape(session, name, LAST_HIDDEN_STATE);
            if (shape.length != 3 || shape[2] <= 0) {
                throw new OnnxModelException("ONNX model " + name + ": " + LAST_HIDDEN_STATE
                        + " must have shape [batch, tokens, hidden] with a fixed hidden size, got "
                        + java.util.Arrays.toString(shape));
            }
            this.dimension = (int) shape[2];
            this.attention = session.getOutputNames().contains(ATTENTION);
            if (attention && OnnxModelCheck.shape(session, name, ATTENTION).length != 4) {
                throw new OnnxModelException("ONNX model " + name + ": " + ATTENTION
                        + " must have shape [batch, heads, tokens, tokens], got "
                        + java.util.Arrays.toString(OnnxModelCheck.shape(session, name, ATTENTION)));
            }
            this.prefixTokens = this.textPrefix.isEmpty() ? 0 : textTokens(tokenizer, this.textPrefix);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** all-MiniLM-L6-v2 (int8) from the langchain4j artifact on the classpath. */
    public static MeanPoolingEncoder miniLm(OrtSessions sessions) {
        return miniLm(sessions, false);
    }

    /**
     * all-MiniLM-L6-v2 (int8), its graph rewritten in memory by {@link AttentionExposingRewrite} if
     * {@code exposeAttention}.
     */
    public static MeanPoolingEncoder miniLm(OrtSessions sessions, boolean exposeAttention) {
        return fromClasspath(sessions, MINILM_NAME, MINILM_MODEL_RESOURCE, MINILM_TOKENIZER_RESOURCE, MINILM_MAX_TOKENS, "",
                exposeAttention);
    }

    /**
     * e5-small-v2 (int8) from the langchain4j artifact on the classpath: texts prefixed with
     * {@value #E5_TEXT_PREFIX}, truncated to {@value #E5_MAX_TOKENS} tokens, mean pooling and L2
     * normalisation (as langchain4j's {@code E5SmallV2QuantizedEmbeddingModel}, which uses mean
     * pooling, and the e5 model card, which asks for the prefix), 384 dimensions.
     */
    public static MeanPoolingEncoder e5SmallV2(OrtSessions sessions) {
        return e5SmallV2(sessions, false);
    }

    /** e5-small-v2 (int8), its graph rewritten in memory by {@link AttentionExposingRewrite} if {@code exposeAttention}. */
    public static MeanPoolingEncoder e5SmallV2(OrtSessions sessions, boolean exposeAttention) {
        return fromClasspath(sessions, E5_NAME, E5_MODEL_RESOURCE, E5_TOKENIZER_RESOURCE, E5_MAX_TOKENS, E5_TEXT_PREFIX,
                exposeAttention);
    }

    /**
     * The shipped encoder called {@code name} ({@value #MINILM_NAME} or {@value #E5_NAME}), the
     * name a reward head records in its metadata.
     */
    public static MeanPoolingEncoder forName(String name, OrtSessions sessions) {
        return forName(name, sessions, false);
    }

    /** {@link #forName(String, OrtSessions)}, its graph rewritten to expose the last layer's attention if asked. */
    public static MeanPoolingEncoder forName(String name, OrtSessions sessions, boolean exposeAttention) {
        return switch (name) {
            case MINILM_NAME -> miniLm(sessions, exposeAttention);
            case E5_NAME -> e5SmallV2(sessions, exposeAttention);
            default -> throw new IllegalArgumentException("unknown encoder '" + name + "' (known: " + MINILM_NAME + ", "
                    + E5_NAME + ")");
        };
    }

    private static MeanPoolingEncoder fromClasspath(OrtSessions sessions, String name, String modelResource,
            String tokenizerResource, int maxTokens, String textPrefix, boolean exposeAttention) {
        byte[] model = readResource(modelResource);
        AttentionExposingRewrite.Rewritten rewritten = exposeAttention ? AttentionExposingRewrite.expose(model) : null;
        BatchTokenizer tokenizer = BatchTokenizer.fromClasspath(tokenizerResource, maxTokens);
        OrtSession session;
        try {
            session = exposeAttention ? sessions.open(rewritten.model(), "classpath:" + modelResource + " + " + ATTENTION)
                    : sessions.open(model, "classpath:" + modelResource);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        MeanPoolingEncoder encoder = new MeanPoolingEncoder(name, session, tokenizer, textPrefix,
                exposeAttention ? rewritten.attention() : null);
        encoder.quantisesOverBatch = BatchInvariance.quantisesOverBatch(model);
        return encoder;
    }

    /**
     * Whether the graph quantises activations over the whole batch tensor ({@code DynamicQuantizeLinear}; true for the
     * shipped int8 MiniLM and e5), or null if the graph was not inspected (an encoder built from a session).
     */
    public Boolean quantisesOverBatch() {
        return quantisesOverBatch;
    }

    public static byte[] readResource(String resource) {
        try (InputStream in = MeanPoolingEncoder.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new OnnxModelException("resource not found on the classpath: " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read classpath resource " + resource, e);
        }
    }

    public String name() {
        return name;
    }

    /** Prepended to every text before tokenisation ({@code ""} for none). */
    public String textPrefix() {
        return textPrefix;
    }

    /** Embedding size (384 for MiniLM and e5-small-v2). */
    public int dimension() {
        return dimension;
    }

    public BatchTokenizer tokenizer() {
        return tokenizer;
    }

    /** Whether the session outputs the last layer's attention ({@link #encodeWithAttention} works). */
    public boolean hasAttention() {
        return attention;
    }

    /** What {@link AttentionExposingRewrite} exposed, if this encoder's factory rewrote the graph; else null. */
    public AttentionExposingRewrite.LastLayerAttention attentionSource() {
        return attentionSource;
    }

    /** Unit-length mean-pooled embeddings of {@code texts}, one ONNX call; an empty list gives an empty array. */
    public float[][] encode(List<String> texts) {
        if (texts.isEmpty()) {
            return new float[0][];
        }
        TokenBatch batch = tokenize(texts);
        try (OrtSession.Result result = batch.run(session, Set.of(LAST_HIDDEN_STATE))) {
            return meanPoolAndNormalise(hiddenStates(result, batch).getFloatBuffer(), batch, dimension);
        } catch (OrtException e) {
            throw failure(texts, e);
        }
    }

    /** Every token's state and the pooled features of {@code texts} (one padded batch, one ONNX call). */
    public TokenStates encodeStates(List<String> texts) {
        requireTexts(texts);
        TokenBatch batch = tokenize(texts);
        try (OrtSession.Result result = batch.run(session, Set.of(LAST_HIDDEN_STATE))) {
            return states(result, batch);
        } catch (OrtException e) {
            throw failure(texts, e);
        }
    }

    /**
     * Token states, pooled features and the last layer's raw attention of {@code texts} (one padded
     * batch, one ONNX call).
     *
     * @throws IllegalStateException if the session does not output the attention ({@link #hasAttention()})
     */
    public AttentionBatch encodeWithAttention(List<String> texts) {
        if (!attention) {
            throw new IllegalStateException("encoder " + name + " does not output " + ATTENTION
                    + "; open it with exposeAttention (AttentionExposingRewrite)");
        }
        requireTexts(texts);
        return encodeWithAttention(tokenize(texts), texts);
    }

    /** {@link #encodeWithAttention(List)} on an already tokenised batch; {@code texts} label its items. */
    AttentionBatch encodeWithAttention(TokenBatch batch, List<String> texts) {
        try (OrtSession.Result result = batch.run(session, Set.of(LAST_HIDDEN_STATE, ATTENTION))) {
            TokenStates states = states(result, batch);
            OnnxTensor probabilities = tensor(result, ATTENTION);
            long[] a = probabilities.getInfo().getShape();
            int n = batch.batchSize();
            int length = batch.length();
            if (a.length != 4 || a[0] != n || a[1] <= 0 || a[2] != length || a[3] != length) {
                throw new OnnxModelException(name + " returned " + ATTENTION + " " + java.util.Arrays.toString(a)
                        + " for a batch of " + n + " x " + length + " tokens");
            }
            FloatBuffer buffer = probabilities.getFloatBuffer();
            float[] values = new float[buffer.remaining()];
            buffer.get(values);
            return new AttentionBatch(texts, states, values, (int) a[1]);
        } catch (OrtException e) {
            throw failure(texts, e);
        }
    }

    private TokenBatch tokenize(List<String> texts) {
        return tokenizer.encode(textPrefix.isEmpty() ? texts
                : texts.stream().map(t -> t == null ? null : textPrefix + t).toList());
    }

    private TokenStates states(OrtSession.Result result, TokenBatch batch) {
        FloatBuffer buffer = hiddenStates(result, batch).getFloatBuffer();
        float[] hidden = new float[buffer.remaining()];
        buffer.get(hidden);
        return new TokenStates(batch, hidden, dimension, prefixTokens);
    }

    private OnnxTensor hiddenStates(OrtSession.Result result, TokenBatch batch) {
        OnnxTensor tensor = tensor(result, LAST_HIDDEN_STATE);
        long[] shape = tensor.getInfo().getShape();
        if (shape.length != 3 || shape[0] != batch.batchSize() || shape[1] != batch.length() || shape[2] != dimension) {
            throw new OnnxModelException(name + " returned " + LAST_HIDDEN_STATE + " of shape "
                    + java.util.Arrays.toString(shape) + ", expected [" + batch.batchSize() + ", " + batch.length()
                    + ", " + dimension + "]");
        }
        return tensor;
    }

    private OnnxTensor tensor(OrtSession.Result result, String output) {
        OnnxValue value = result.get(output).orElseThrow(() -> new OnnxModelException(name + " returned no " + output));
        if (!(value instanceof OnnxTensor tensor)) {
            throw new OnnxModelException(name + " returned a non-tensor " + output);
        }
        return tensor;
    }

    private OnnxModelException failure(List<String> texts, OrtException e) {
        return new OnnxModelException("ONNX Runtime failed running " + name + " on " + texts.size() + " texts: "
                + e.getMessage(), e);
    }

    private static void requireTexts(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("texts must contain at least one text");
        }
    }

    /** How many text (non-special) tokens {@code text} alone becomes. */
    /**
     * How many tokens {@code text} makes on its own, special tokens left out: the number of leading text tokens of
     * {@code text + " " + more} that belong to {@code text} (BERT tokenizers split at whitespace, so joining two
     * texts with a space concatenates their tokens).
     */
    public int textTokenCount(String text) {
        return text.isEmpty() ? 0 : textTokens(tokenizer, text);
    }

    private static int textTokens(BatchTokenizer tokenizer, String text) {
        TokenBatch batch = tokenizer.encode(List.of(text));
        int n = 0;
        for (int t = 0; t < batch.ids(0).length; t++) {
            n += batch.isSpecialToken(0, t) ? 0 : 1;
        }
        return n;
    }

    /** Masked mean over tokens of a row-major [batch, length, dim] buffer, each row scaled to unit L2 norm. */
    static float[][] meanPoolAndNormalise(FloatBuffer hidden, TokenBatch batch, int dimension) {
        int length = batch.length();
        float[][] pooled = new float[batch.batchSize()][dimension];
        for (int b = 0; b < batch.batchSize(); b++) {
            double[] sum = new double[dimension];
            int kept = 0;
            for (int t = 0; t < length; t++) {
                if (batch.attentionMask(b, t) == 0) {
                    continue;
                }
                kept++;
                int offset = (b * length + t) * dimension;
                for (int d = 0; d < dimension; d++) {
                    sum[d] += hidden.get(offset + d);
                }
            }
            double squaredNorm = 0;
            for (int d = 0; d < dimension; d++) {
                sum[d] /= Math.max(kept, 1);
                squaredNorm += sum[d] * sum[d];
            }
            double norm = Math.max(Math.sqrt(squaredNorm), 1e-12);
            for (int d = 0; d < dimension; d++) {
                pooled[b][d] = (float) (sum[d] / norm);
            }
        }
        return pooled;
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
