package org.alignstream.inference.tokenizer;

/**
 * A padded batch of encoded texts, ready to become the {@code input_ids}, {@code attention_mask} and
 * {@code token_type_ids} tensors of one ONNX call. All arrays are {@code [batchSize][sequenceLength]};
 * padding positions have attention mask 0.
 */
public record Encoding(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds) {

    public int batchSize() {
        return inputIds.length;
    }

    public int sequenceLength() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /** Row-major copy of a {@code [batch][length]} array, e.g. for a {@code LongBuffer}-backed tensor. */
    public static long[] flatten(long[][] rows) {
        int width = rows.length == 0 ? 0 : rows[0].length;
        long[] flat = new long[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * width, width);
        }
        return flat;
    }
}
