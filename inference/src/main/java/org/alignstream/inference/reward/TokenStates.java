package org.alignstream.inference.reward;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * What a {@link MeanPoolingEncoder}'s {@code last_hidden_state} gives for one right-padded batch:
 * the contextual state of every token ({@code [batch, length, dimension]}, row-major) and the
 * unit-length mean-pooled features a {@link RewardHead} scores (computed from the very same
 * values, so they are bit-identical to {@link MeanPoolingEncoder#encode} on this batch).
 *
 * <p>The <em>response tokens</em> of an item are its real positions that the tokenizer did not add
 * ({@code [CLS]}, {@code [SEP]}) and that are not the encoder's text prefix (e5's {@code "query: "}):
 * the tokens of the text itself, the ones a per-token reward or credit is given to.
 */
public final class TokenStates {

    private final TokenBatch batch;
    private final float[] hidden;
    private final int dimension;
    private final int prefixTokens;
    private final float[][] features;

    /**
     * @param hidden       {@code last_hidden_state}, {@code [batch, length, dimension]} row-major
     * @param prefixTokens how many text tokens at the start of every item the encoder's text prefix made
     */
    TokenStates(TokenBatch batch, float[] hidden, int dimension, int prefixTokens) {
        if (hidden.length != (long) batch.batchSize() * batch.length() * dimension) {
            throw new IllegalArgumentException("hidden states have " + hidden.length + " values, expected "
                    + batch.batchSize() + "x" + batch.length() + "x" + dimension);
        }
        this.batch = batch;
        this.hidden = hidden;
        this.dimension = dimension;
        this.prefixTokens = prefixTokens;
        this.features = MeanPoolingEncoder.meanPoolAndNormalise(FloatBuffer.wrap(hidden), batch, dimension);
    }

    public int size() {
        return batch.batchSize();
    }

    /** Padded length of the batch. */
    public int length() {
        return batch.length();
    }

    /** Hidden size (384 for MiniLM). */
    public int dimension() {
        return dimension;
    }

    public TokenBatch tokens() {
        return batch;
    }

    /** Unit-length mean-pooled features of item {@code b}. */
    public float[] features(int b) {
        return features[b].clone();
    }

    /** Every item's pooled features (the array itself: do not modify). */
    float[][] features() {
        return features;
    }

    /** The hidden state of position {@code t} of item {@code b}. */
    public float[] state(int b, int t) {
        int offset = (b * batch.length() + t) * dimension;
        return Arrays.copyOfRange(hidden, offset, offset + dimension);
    }

    /**
     * Positions of item {@code b}'s response tokens, in order (see the class comment; requires a batch
     * with token strings, as {@link BatchTokenizer} makes).
     */
    public int[] responsePositions(int b) {
        int real = batch.ids(b).length;
        int[] positions = new int[real];
        int n = 0;
        int prefixLeft = prefixTokens;
        for (int t = 0; t < real; t++) {
            if (batch.isSpecialToken(b, t)) {
                continue;
            }
            if (prefixLeft > 0) {
                prefixLeft--;
                continue;
            }
            positions[n++] = t;
        }
        return Arrays.copyOf(positions, n);
    }

    /** Item {@code b}'s response token strings, as the tokenizer wrote them. */
    public List<String> responseTokens(int b) {
        List<String> all = batch.tokens(b);
        return Arrays.stream(responsePositions(b)).mapToObj(all::get).toList();
    }

    /** Item {@code b}'s response token ids. */
    public long[] responseIds(int b) {
        long[] ids = batch.ids(b);
        return Arrays.stream(responsePositions(b)).mapToLong(t -> ids[t]).toArray();
    }

    /** The hidden states of item {@code b}'s response tokens, one row per token ({@code [T][dimension]}). */
    public float[][] responseStates(int b) {
        int[] positions = responsePositions(b);
        float[][] rows = new float[positions.length][];
        for (int i = 0; i < positions.length; i++) {
            rows[i] = state(b, positions[i]);
        }
        return rows;
    }
}
