package org.alignstream.core.feedback;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Equal-length prefix pairs of a preference, the training data of a partial-sequence reward model
 * (Rashid et al. 2024, "A Critical Look At Tokenwise Reward-Guided Text Generation"): a reward for
 * partial responses is learned with Bradley-Terry on pairs of the chosen and the rejected response both
 * cut to their first t tokens, so that it compares prefixes of the same length as it will during
 * decoding. The Bradley-Terry fit itself is {@link org.alignstream.core.training.BradleyTerry} on the
 * prefixes' features.
 *
 * <p>For one pair (chosen, rejected) of token sequences of lengths n_c and n_r, {@link #sample} draws
 * {@code prefixesPerPair} distinct lengths t uniformly without replacement from the informative lengths
 * <pre>  c &lt; t &lt;= min(n_c, n_r),   t != n when n_c = n_r = n,</pre>
 * where c is the length of the pair's common prefix: at t &lt;= c the two prefixes are the same tokens and
 * carry no preference, and the pair of full sequences is always included so it is not drawn twice. If
 * fewer lengths are informative, all of them are taken. The result lists the prefix pairs by increasing
 * t, then the full pair. Given a generator in the same state (e.g. {@code new SplittableRandom(seed)}),
 * the result is the same; the generator is advanced by one {@code nextInt} per length drawn.
 */
public final class PrefixPairSampler {

    /** A chosen and a rejected token sequence, both prefixes of length {@link #length()} unless {@link #full()}. */
    public record PrefixPair(int[] chosen, int[] rejected, boolean full) {
        public PrefixPair {
            chosen = chosen.clone();
            rejected = rejected.clone();
            if (!full && chosen.length != rejected.length) {
                throw new IllegalArgumentException("a prefix pair has equal lengths, got " + chosen.length + " and "
                        + rejected.length);
            }
        }

        @Override
        public int[] chosen() {
            return chosen.clone();
        }

        @Override
        public int[] rejected() {
            return rejected.clone();
        }

        /** The prefix length t; for the full pair, the chosen sequence's length. */
        public int length() {
            return chosen.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PrefixPair p && full == p.full && Arrays.equals(chosen, p.chosen)
                    && Arrays.equals(rejected, p.rejected);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(chosen) + Arrays.hashCode(rejected)) + Boolean.hashCode(full);
        }

        @Override
        public String toString() {
            return "PrefixPair[" + (full ? "full" : "t=" + chosen.length) + ", chosen=" + Arrays.toString(chosen)
                    + ", rejected=" + Arrays.toString(rejected) + "]";
        }
    }

    private final int prefixesPerPair;

    /** @param prefixesPerPair number of prefix lengths drawn per pair (0: only the full pair) */
    public PrefixPairSampler(int prefixesPerPair) {
        if (prefixesPerPair < 0) {
            throw new IllegalArgumentException("prefixesPerPair must be >= 0, got " + prefixesPerPair);
        }
        this.prefixesPerPair = prefixesPerPair;
    }

    public int prefixesPerPair() {
        return prefixesPerPair;
    }

    /** The prefix pairs of {@code chosen} over {@code rejected}, then the full pair (see the class comment). */
    public List<PrefixPair> sample(int[] chosen, int[] rejected, RandomGenerator random) {
        if (chosen == null || rejected == null) {
            throw new IllegalArgumentException("a preference needs a chosen and a rejected token sequence");
        }
        if (random == null) {
            throw new IllegalArgumentException("a random generator is required");
        }
        if (Arrays.equals(chosen, rejected)) {
            throw new IllegalArgumentException("chosen and rejected are the same " + chosen.length
                    + " tokens; the pair carries no preference");
        }
        int[] candidates = informativeLengths(chosen, rejected);
        int k = Math.min(prefixesPerPair, candidates.length);
        for (int i = 0; i < k; i++) { // partial Fisher-Yates: candidates[0 .. k) is a uniform k-subset
            int j = i + random.nextInt(candidates.length - i);
            int swap = candidates[i];
            candidates[i] = candidates[j];
            candidates[j] = swap;
        }
        int[] lengths = Arrays.copyOf(candidates, k);
        Arrays.sort(lengths);
        List<PrefixPair> pairs = new ArrayList<>(k + 1);
        for (int t : lengths) {
            pairs.add(new PrefixPair(Arrays.copyOf(chosen, t), Arrays.copyOf(rejected, t), false));
        }
        pairs.add(new PrefixPair(chosen, rejected, true));
        return List.copyOf(pairs);
    }

    /** The lengths t a prefix pair is drawn from, increasing (see the class comment). */
    public static int[] informativeLengths(int[] chosen, int[] rejected) {
        int shorter = Math.min(chosen.length, rejected.length);
        int common = 0;
        while (common < shorter && chosen[common] == rejected[common]) {
            common++;
        }
        int last = chosen.length == rejected.length ? shorter - 1 : shorter;
        int[] lengths = new int[Math.max(0, last - common)];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = common + 1 + i;
        }
        return lengths;
    }
}
