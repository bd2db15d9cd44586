package org.alignstream.inference.reward;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one pass of an attention-exposing encoder ({@link MeanPoolingEncoder#encodeWithAttention},
 * {@link AttentionEncoder}) computes for a padded batch: the token states and pooled features
 * ({@link TokenStates}), and the last layer's raw attention probabilities
 * {@code [batch, heads, length, length]} ({@code [b][h][query][key]}, row-major in one array).
 */
public final class AttentionBatch {

    private final List<String> texts;
    private final TokenStates states;
    private final TokenBatch batch;
    private final float[] probabilities;
    private final int heads;

    AttentionBatch(List<String> texts, TokenStates states, float[] probabilities, int heads) {
        TokenBatch batch = states.tokens();
        int length = batch.length();
        if (probabilities.length != (long) batch.batchSize() * heads * length * length) {
            throw new IllegalArgumentException("attention has " + probabilities.length + " values, expected "
                    + batch.batchSize() + "x" + heads + "x" + length + "x" + length);
        }
        this.texts = List.copyOf(texts);
        this.states = states;
        this.batch = batch;
        this.probabilities = probabilities;
        this.heads = heads;
    }

    public int size() {
        return batch.batchSize();
    }

    public int heads() {
        return heads;
    }

    /** Padded length of the batch. */
    public int length() {
        return batch.length();
    }

    public TokenBatch tokens() {
        return batch;
    }

    /** The token states and pooled features of the same pass. */
    public TokenStates states() {
        return states;
    }

    /** Unit-length mean-pooled features of item {@code b} (identical to {@link MeanPoolingEncoder#encode}'s on this batch). */
    public float[] features(int b) {
        return states.features(b);
    }

    /** Item {@code b}'s attention probabilities {@code [heads][query][key]} over the padded length. */
    public float[][][] probabilities(int b) {
        int length = batch.length();
        float[][][] out = new float[heads][length][length];
        for (int h = 0; h < heads; h++) {
            for (int q = 0; q < length; q++) {
                int offset = ((b * heads + h) * length + q) * length;
                System.arraycopy(probabilities, offset, out[h][q], 0, length);
            }
        }
        return out;
    }

    /** The last position item {@code b}'s attention mask keeps ({@code [SEP]} for BERT tokenizers). */
    public int finalRealPosition(int b) {
        for (int t = batch.length() - 1; t >= 0; t--) {
            if (batch.attentionMask(b, t) != 0) {
                return t;
            }
        }
        throw new IllegalStateException("item " + b + " has no real token");
    }

    /**
     * Item {@code b}'s attention from its final real token, averaged over heads, over the padded
     * length: padding positions 0, real positions renormalised to sum 1.
     */
    public float[] finalTokenAttention(int b) {
        return meanRows(b, finalRealPosition(b), finalRealPosition(b));
    }

    /**
     * Item {@code b}'s attention from position {@code query}, averaged over heads, over the padded length: padding
     * positions 0, real positions renormalised to sum 1 (the reference code's row: the last response token's).
     */
    public float[] rowAttention(int b, int query) {
        return meanRows(b, query, query);
    }

    /**
     * Item {@code b}'s attention averaged over heads and over every real query position, over the
     * padded length: padding positions 0, real positions renormalised to sum 1. With a mean-pooling
     * encoder every position's output enters the pooled features with the same weight, so this is
     * the attention "the pooled output" pays to each key, the analogue for such a reward model of a
     * decoder reward model's final-position row.
     */
    public float[] meanQueryAttention(int b) {
        return meanRows(b, 0, finalRealPosition(b));
    }

    /** Head-and-query mean of the rows {@code firstQuery..lastQuery} over real keys, renormalised to sum 1. */
    private float[] meanRows(int b, int firstQuery, int lastQuery) {
        int length = batch.length();
        boolean[] real = new boolean[length];
        for (int t = 0; t < length; t++) {
            real[t] = batch.attentionMask(b, t) != 0;
        }
        // each key's sum adds the rows in the order head, then query (row by row, so memory is read in sequence)
        double[] mean = new double[length];
        for (int h = 0; h < heads; h++) {
            for (int q = firstQuery; q <= lastQuery; q++) {
                if (!real[q]) {
                    continue;
                }
                int row = ((b * heads + h) * length + q) * length;
                for (int k = 0; k < length; k++) {
                    if (real[k]) {
                        mean[k] += probabilities[row + k];
                    }
                }
            }
        }
        double total = 0;
        for (int k = 0; k < length; k++) {
            total += mean[k];
        }
        float[] out = new float[length];
        if (total <= 0 || !Double.isFinite(total)) {
            throw new IllegalStateException("item " + b + ": attention over real tokens sums to " + total);
        }
        for (int k = 0; k < length; k++) {
            out[k] = (float) (mean[k] / total);
        }
        return out;
    }

    /** Item {@code b} restricted to its real tokens (requires a right-padded batch, as {@link BatchTokenizer} makes). */
    public TokenAttention item(int b) {
        long[] ids = batch.ids(b);
        int q = finalRealPosition(b);
        if (q != ids.length - 1) {
            throw new IllegalStateException("item " + b + " is not right-padded");
        }
        float[] weights = Arrays.copyOf(finalTokenAttention(b), ids.length);
        boolean[] special = new boolean[ids.length];
        for (int t = 0; t < ids.length; t++) {
            special[t] = batch.isSpecialToken(b, t);
        }
        return new TokenAttention(texts.get(b), batch.tokens(b), ids, special, weights, q, features(b));
    }

    public List<TokenAttention> items() {
        List<TokenAttention> out = new ArrayList<>(size());
        for (int b = 0; b < size(); b++) {
            out.add(item(b));
        }
        return out;
    }
}
