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

    private final String name;
    private final OrtSession session;
    private final BatchTokenizer tokenizer;
    private final String textPrefix;
    private final int dimension;

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
        this.name = name;
        this.session = session;
        this.tokenizer = tokenizer;
        this.textPrefix = textPrefix == null ? "" : textPrefix;
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
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** all-MiniLM-L6-v2 (int8) from the langchain4j artifact on the classpath. */
    public static MeanPoolingEncoder miniLm(OrtSessions sessions) {
        return fromClasspath(sessions, MINILM_NAME, MINILM_MODEL_RESOURCE, MINILM_TOKENIZER_RESOURCE, MINILM_MAX_TOKENS, "");
    }

    /**
     * e5-small-v2 (int8) from the langchain4j artifact on the classpath: texts prefixed with
     * {@value #E5_TEXT_PREFIX}, truncated to {@value #E5_MAX_TOKENS} tokens, mean pooling and L2
     * normalisation (as langchain4j's {@code E5SmallV2QuantizedEmbeddingModel}, which uses mean
     * pooling, and the e5 model card, which asks for the prefix), 384 dimensions.
     */
    public static MeanPoolingEncoder e5SmallV2(OrtSessions sessions) {
        return fromClasspath(sessions, E5_NAME, E5_MODEL_RESOURCE, E5_TOKENIZER_RESOURCE, E5_MAX_TOKENS, E5_TEXT_PREFIX);
    }

    /**
     * The shipped encoder called {@code name} ({@value #MINILM_NAME} or {@value #E5_NAME}), the
     * name a reward head records in its metadata.
     */
    public static MeanPoolingEncoder forName(String name, OrtSessions sessions) {
        return switch (name) {
            case MINILM_NAME -> miniLm(sessions);
            case E5_NAME -> e5SmallV2(sessions);
            default -> throw new IllegalArgumentException("unknown encoder '" + name + "' (known: " + MINILM_NAME + ", "
                    + E5_NAME + ")");
        };
    }

    private static MeanPoolingEncoder fromClasspath(OrtSessions sessions, String name, String modelResource,
            String tokenizerResource, int maxTokens, String textPrefix) {
        byte[] model = readResource(modelResource);
        BatchTokenizer tokenizer = BatchTokenizer.fromClasspath(tokenizerResource, maxTokens);
        OrtSession session;
        try {
            session = sessions.open(model, "classpath:" + modelResource);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return new MeanPoolingEncoder(name, session, tokenizer, textPrefix);
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

    /** Unit-length mean-pooled embeddings of {@code texts}, one ONNX call; an empty list gives an empty array. */
    public float[][] encode(List<String> texts) {
        if (texts.isEmpty()) {
            return new float[0][];
        }
        TokenBatch batch = tokenizer.encode(textPrefix.isEmpty() ? texts
                : texts.stream().map(t -> t == null ? null : textPrefix + t).toList());
        try (OrtSession.Result result = batch.run(session, Set.of(LAST_HIDDEN_STATE))) {
            OnnxValue value = result.get(0);
            if (!(value instanceof OnnxTensor tensor)) {
                throw new OnnxModelException(name + " returned a non-tensor " + LAST_HIDDEN_STATE);
            }
            long[] shape = tensor.getInfo().getShape();
            if (shape.length != 3 || shape[0] != batch.batchSize() || shape[1] != batch.length() || shape[2] != dimension) {
                throw new OnnxModelException(name + " returned " + LAST_HIDDEN_STATE + " of shape "
                        + java.util.Arrays.toString(shape) + ", expected [" + batch.batchSize() + ", " + batch.length()
                        + ", " + dimension + "]");
            }
            return meanPoolAndNormalise(tensor.getFloatBuffer(), batch, dimension);
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed running " + name + " on " + texts.size() + " texts: "
                    + e.getMessage(), e);
        }
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
