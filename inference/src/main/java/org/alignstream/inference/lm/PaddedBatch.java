package org.alignstream.inference.lm;

import ai.onnxruntime.OrtException;
import java.nio.LongBuffer;
import java.util.List;

/**
 * Rows of different past lengths decoded together, one token per row per {@link #step}, as Hugging Face batches
 * left-padded sequences: every row's past is left-padded with zeros to the longest one; the attention mask is 0 on a
 * row's padding and 1 on its real tokens, and a row's new token gets the position that continues the row's own
 * positions (its real past length), not the padded one. With a single part (or parts of one length) there is no
 * padding and the inputs are exactly those of an unpadded call.
 *
 * <p>A graph without a {@code position_ids} input (GPT-2 exports before Optimum 1.14) numbers new tokens from the
 * padded past length, so left-padded rows would get wrong positions: such a model is accepted only when no row is
 * padded. Whether a padded call gives bit for bit what each part's own call gives is the model's and the runtime's
 * property, probed by {@link LmBatchInvariance}. Owns its cache: close it. Not thread-safe.
 */
final class PaddedBatch implements AutoCloseable {

    private final CausalLm lm;
    private final int rows;
    private final int[] pad;
    private KvCache cache;

    /**
     * Part {@code i}'s batch-1 cache repeated {@code copies[i]} times, parts in order (the parts stay open and
     * unchanged).
     */
    PaddedBatch(CausalLm lm, List<KvCache> parts, int[] copies) throws OrtException {
        this.lm = lm;
        int length = 0;
        int rows = 0;
        for (int i = 0; i < parts.size(); i++) {
            length = Math.max(length, parts.get(i).length());
            rows += copies[i];
        }
        this.rows = rows;
        this.pad = new int[rows];
        int row = 0;
        for (int i = 0; i < parts.size(); i++) {
            for (int c = 0; c < copies[i]; c++) {
                pad[row++] = length - parts.get(i).length();
            }
        }
        if (!lm.hasPositionIds()) {
            for (int p : pad) {
                if (p != 0) {
                    throw new IllegalArgumentException("the model has no position_ids input and numbers new tokens "
                            + "from the padded past length: rows of different past lengths cannot share a call");
                }
            }
        }
        this.cache = KvCache.leftPadded(parts, copies, length);
    }

    int rows() {
        return rows;
    }

    /** Whether any row is padded (its past shorter than the longest). */
    boolean padded() {
        for (int p : pad) {
            if (p != 0) {
                return true;
            }
        }
        return false;
    }

    /** Padded past length. */
    int length() {
        return cache.length();
    }

    /**
     * Feeds {@code tokens[r]} to row {@code r} (at position: the row's real past length) in one call and keeps the
     * grown cache; returns the logits after it, {@code [rows][vocab]}.
     */
    float[][] step(int[] tokens) throws OrtException {
        if (tokens.length != rows) {
            throw new IllegalArgumentException(tokens.length + " tokens for " + rows + " rows");
        }
        int length = cache.length();
        int total = length + 1;
        LongBuffer ids = CausalLm.direct(rows);
        LongBuffer positions = CausalLm.direct(rows);
        LongBuffer mask = CausalLm.direct(rows * total);
        for (int r = 0; r < rows; r++) {
            ids.put(r, tokens[r]);
            positions.put(r, length - pad[r]);
            for (int t = 0; t < total; t++) {
                mask.put(r * total + t, t < pad[r] ? 0L : 1L);
            }
        }
        ForwardResult next = lm.run(ids, mask, positions, rows, 1, cache, false);
        cache.close();
        cache = next.cache();
        return next.lastLogits();
    }

    /** Every row's cache without its padding, as batch-1 caches the caller owns. */
    KvCache[] unpaddedRows() throws OrtException {
        return cache.unpaddedRows(pad);
    }

    @Override
    public void close() {
        cache.close();
    }
}
