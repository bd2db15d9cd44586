package org.alignstream.inference.reward;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One text's last-layer attention from its final real token over its real tokens (head average,
 * renormalised to sum 1), with the tokens so a reader can see which words drew the attention
 * the reward is read from, plus the same pooled features {@link MeanPoolingEncoder} gives.
 *
 * @param text          the text as given (without the encoder's text prefix)
 * @param tokens        token strings of the real (non-padding) positions, special tokens included
 * @param ids           their ids
 * @param weights       attention weight per real position, {@code >= 0}, summing to 1
 * @param special       which positions the tokenizer added ({@code [CLS]}, {@code [SEP]}); an
 *                      encoder's text prefix (e5's {@code "query: "}) counts as text
 * @param queryPosition the position whose attention row this is (the last real token, {@code [SEP]} for BERT)
 * @param features      unit-length mean-pooled embedding (what a {@link RewardHead} scores)
 */
public record TokenAttention(String text, List<String> tokens, long[] ids, boolean[] special, float[] weights,
        int queryPosition, float[] features) {

    /** One position with its weight. */
    public record Weighted(int position, String token, float weight) {
    }

    public TokenAttention {
        tokens = List.copyOf(tokens);
        if (ids.length != tokens.size() || weights.length != tokens.size() || special.length != tokens.size()) {
            throw new IllegalArgumentException("tokens, ids, special flags and weights must align: " + tokens.size()
                    + ", " + ids.length + ", " + special.length + ", " + weights.length);
        }
    }

    /**
     * {@link #weights()} with the special tokens set to 0 and the text tokens renormalised to sum
     * 1 (all 0 if the text has no tokens). With BERT encoders the final {@code [SEP]} sends much of
     * its attention to {@code [CLS]} (30-96% for MiniLM on short sentences), so this is the more
     * readable view of which words stood out.
     */
    public float[] textWeights() {
        double total = 0;
        for (int i = 0; i < weights.length; i++) {
            total += special[i] ? 0 : weights[i];
        }
        float[] out = new float[weights.length];
        for (int i = 0; i < weights.length; i++) {
            out[i] = special[i] || total <= 0 ? 0f : (float) (weights[i] / total);
        }
        return out;
    }

    /** Text tokens (no special tokens) by decreasing {@link #textWeights()}. */
    public List<Weighted> rankedText() {
        float[] text = textWeights();
        List<Weighted> all = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            if (!special[i]) {
                all.add(new Weighted(i, tokens.get(i), text[i]));
            }
        }
        all.sort(Comparator.comparing(Weighted::weight).reversed().thenComparing(Weighted::position));
        return all;
    }

    /** Positions by decreasing weight (ties by position). */
    public List<Weighted> ranked() {
        List<Weighted> all = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            all.add(new Weighted(i, tokens.get(i), weights[i]));
        }
        all.sort(Comparator.comparing(Weighted::weight).reversed().thenComparing(Weighted::position));
        return all;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("TokenAttention[");
        for (int i = 0; i < tokens.size(); i++) {
            s.append(i == 0 ? "" : " ").append(tokens.get(i)).append('=').append(String.format("%.3f", weights[i]));
        }
        return s.append(']').toString();
    }
}
