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
    /** Token strings per cell (row-major like the ids), or null when the batch was built without them. */
    private final String[] tokens;
    /** 1 where the tokenizer added a special token ([CLS], [SEP], padding), or null like {@link #tokens}. */
    private final long[] specialTokenMask;

    TokenBatch(int batchSize, int length, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {
        this(batchSize, length, inputIds, attentionMask, tokenTypeIds, null, null);
    }

    TokenBatch(int batchSize, int length, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, String[] tokens,
            long[] specialTokenMask) {
        int cells = batchSize * length;
        if (inputIds.length != cells || attentionMask.length != cells || tokenTypeIds.length != cells
                || (tokens != null && tokens.length != cells)
                || (specialTokenMask != null && specialTokenMask.length != cells)) {
            throw new IllegalArgumentException("token batch arrays must all have " + cells + " entries");
        }
        if ((tokens == null) != (specialTokenMask == null)) {
            throw new IllegalArgumentException("token strings and the special-token mask come together");
        }
        this.tokens = tokens;
        this.specialTokenMask = specialTokenMask;
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

    /** Whether {@link #tokens(int)} is available (batches from {@link BatchTokenizer} carry token strings). */
    public boolean hasTokens() {
        return tokens != null;
    }

    /**
     * The token strings (e.g. {@code "[CLS]", "great", "##ly"}) at the non-padding positions of
     * one row, aligned with {@link #ids(int)}.
     *
     * @throws IllegalStateException if this batch was built without token strings
     */
    public java.util.List<String> tokens(int row) {
        if (tokens == null) {
            throw new IllegalStateException("this token batch carries no token strings");
        }
        int n = ids(row).length;
        return java.util.List.of(java.util.Arrays.copyOfRange(tokens, row * length, row * length + n));
    }

    /**
     * Whether the tokenizer added the token at {@code position} of {@code row} ({@code [CLS]},
     * {@code [SEP]}, padding) rather than taking it from the text.
     *
     * @throws IllegalStateException if this batch was built without token strings
     */
    public boolean isSpecialToken(int row, int position) {
        if (specialTokenMask == null) {
            throw new IllegalStateException("this token batch carries no special-token mask");
        }
        return specialTokenMask[row * length + position] != 0;
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
