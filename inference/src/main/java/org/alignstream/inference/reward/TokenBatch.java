package org.alignstream.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A right-padded batch of token sequences in the layout BERT-style ONNX exports take: three
 * row-major {@code [batch, length]} int64 matrices {@code input_ids}, {@code attention_mask} and
 * {@code token_type_ids}.
 */
public final class TokenBatch {

    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final int batchSize;
    private final int length;
    private final long[] inputIds;
    private final long[] attentionMask;
    private final long[] tokenTypeIds;

    TokenBatch(int batchSize, int length, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {
        int cells = batchSize * length;
        if (inputIds.length != cells || attentionMask.length != cells || tokenTypeIds.length != cells) {
            throw new IllegalArgumentException("token batch arrays must all have " + cells + " entries");
        }
        this.batchSize = batchSize;
        this.length = length;
        this.inputIds = inputIds;
        this.attentionMask = attentionMask;
        this.tokenTypeIds = tokenTypeIds;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Padded sequence length (the longest sequence in the batch). */
    public int length() {
        return length;
    }

    public long inputId(int row, int position) {
        return inputIds[row * length + position];
    }

    public long attentionMask(int row, int position) {
        return attentionMask[row * length + position];
    }

    public long tokenTypeId(int row, int position) {
        return tokenTypeIds[row * length + position];
    }

    /** The non-padding token ids of one row. */
    public long[] ids(int row) {
        int n = 0;
        while (n < length && attentionMask(row, n) != 0) {
            n++;
        }
        long[] ids = new long[n];
        System.arraycopy(inputIds, row * length, ids, 0, n);
        return ids;
    }

    /**
     * Runs {@code session} once on this batch, feeding {@code token_type_ids} only if the model
     * takes it, and returns the requested outputs. The input tensors are closed before returning;
     * the caller closes the result.
     */
    public OrtSession.Result run(OrtSession session, Set<String> outputs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = {batchSize, length};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(inputIds), shape);
             OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(attentionMask), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(tokenTypeIds), shape)) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(INPUT_IDS, ids);
            inputs.put(ATTENTION_MASK, mask);
            if (session.getInputNames().contains(TOKEN_TYPE_IDS)) {
                inputs.put(TOKEN_TYPE_IDS, types);
            }
            return session.run(inputs, outputs);
        }
    }
}
