package org.alignstream.evaluation.quality;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * distinct-n (Li et al. 2016): the number of unique n-grams divided by the total number of n-grams, pooled over all
 * responses of a row. An n-gram never crosses the boundary between two responses. Here the units are the language
 * model's tokenizer tokens (BPE ids), the end-of-text token left out.
 */
public final class DistinctN {

    private DistinctN() {
    }

    /**
     * Unique n-grams / total n-grams over {@code sequences}; 0 when no sequence has {@code n} tokens (no n-gram at
     * all).
     *
     * @param exclude a token id dropped from every sequence before counting (e.g. end-of-text), or -1 for none
     */
    public static double distinct(List<int[]> sequences, int n, int exclude) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        Set<List<Integer>> unique = new HashSet<>();
        long total = 0;
        for (int[] raw : sequences) {
            int[] seq = exclude < 0 ? raw : Arrays.stream(raw).filter(t -> t != exclude).toArray();
            for (int start = 0; start + n <= seq.length; start++) {
                Integer[] gram = new Integer[n];
                for (int j = 0; j < n; j++) {
                    gram[j] = seq[start + j];
                }
                unique.add(List.of(gram));
                total++;
            }
        }
        return total == 0 ? 0.0 : (double) unique.size() / total;
    }
}
