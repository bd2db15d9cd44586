package org.alignstream.feedback;

import java.util.List;

/**
 * The frozen backbone as training sees it: features of texts, one batch per call; and, for token-level training, the
 * tokens of some of them from the same batch.
 */
public interface Featurizer {

    /** Features of every text, in one batch. */
    float[][] features(List<String> texts);

    /** The backbone's name, as reward heads record it (e.g. {@code all-MiniLM-L6-v2-int8}). */
    String backbone();

    /**
     * A text's tokens as token-level training reads them.
     *
     * @param ids       the reward tokenizer's ids of the text's tokens, special tokens left out
     * @param states    the backbone's state of each token (one row per id)
     * @param attention the last layer's attention to each token, summing to 1 over them (dense credit of the
     *                  serving reward); empty if the backbone has none
     */
    record Tokens(int[] ids, float[][] states, float[] attention) {
        public Tokens {
            if (states.length != ids.length || (attention.length != 0 && attention.length != ids.length)) {
                throw new IllegalArgumentException("tokens need one state (and attention weight) per id: " + ids.length
                        + " ids, " + states.length + " states, " + attention.length + " attention weights");
            }
        }
    }

    /** Every text's features and the tokens of the first few texts, from one batch. */
    record Encoded(float[][] features, List<Tokens> tokens) {
    }

    /** Whether {@link #encode} gives tokens (token-level training is possible). */
    default boolean tokenLevel() {
        return false;
    }

    /**
     * Every text's features and, if {@link #tokenLevel()}, the tokens of the first {@code tokenTexts} texts, in one
     * batch. This default gives the features only.
     */
    default Encoded encode(List<String> texts, int tokenTexts) {
        return new Encoded(features(texts), List.of());
    }
}
