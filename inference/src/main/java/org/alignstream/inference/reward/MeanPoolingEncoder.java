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
 * all-MiniLM-L6-v2: the {@code last_hidden_state} averaged over the tokens the attention mask
 * keeps, then L2-normalised. One padded batch per ONNX call.
 */
public final class MeanPoolingEncoder implements AutoCloseable {

    /** Resource paths inside the langchain4j all-MiniLM-L6-v2 (int8) artifact. */
    public static final String MINILM_MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
    public static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";
    public static final String MINILM_NAME = "all-MiniLM-L6-v2-int8";
    public static final int MINILM_DIMENSION = 384;
    /** Token limit used for MiniLM (sentence-transformers uses 256; 128 covers our texts and halves the cost). */
    public static final int MINILM_MAX_TOKENS = 128;

    static final String LAST_HIDDEN_STATE = "last_hidden_state";

    private final String name;
    private final OrtSession session;
    private final BatchTokenizer tokenizer;
    private final int dimension;

    /** Takes ownership of {@code session} and {@code tokenizer}. */
    public MeanPoolingEncoder(String name, OrtSession session, BatchTokenizer tokenizer) {
        this.name = name;
        this.session = session;
        this.tokenizer = tokenizer;
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
        byte[] model = readResource(MINILM_MODEL_RESOURCE);
        BatchTokenizer tokenizer = BatchTokenizer.fromClasspath(MINILM_TOKENIZER_RESOURCE, MINILM_MAX_TOKENS);
        OrtSession session;
        try {
            session = sessions.open(model, "classpath:" + MINILM_MODEL_RESOURCE);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return new MeanPoolingEncoder(MINILM_NAME, session, tokenizer);
    }

    static byte[] readResource(String resource) {
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

    /** Embedding size (384 for MiniLM). */
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
        TokenBatch batch = tokenizer.encode(texts);
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
