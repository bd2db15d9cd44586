package org.alignstream.core.decoding;

import java.util.Arrays;

/**
 * One decoding round's choice among candidates: the index chosen, the method's distribution over the candidates
 * (one-hot when greedy), and this round's contribution to KL(pi || pi_ref).
 *
 * <p>The distribution is copied on construction and on access, so a {@code StepChoice} is immutable; equality
 * compares the distribution's contents.
 *
 * @param index        the chosen candidate, {@code 0 <= index < distribution.length}
 * @param distribution the probability of each candidate under the method (sums to 1)
 * @param kl           this round's contribution to {@code KL(pi || pi_ref)}, in nats
 */
public record StepChoice(int index, double[] distribution, double kl) {

    public StepChoice {
        if (distribution == null || distribution.length == 0) {
            throw new IllegalArgumentException("a step choice needs a distribution over at least one candidate");
        }
        if (index < 0 || index >= distribution.length) {
            throw new IllegalArgumentException("index " + index + " is outside the " + distribution.length
                    + " candidates");
        }
        distribution = distribution.clone();
    }

    /** A copy of the method's distribution over the candidates. */
    @Override
    public double[] distribution() {
        return distribution.clone();
    }

    /** The probability the method gave candidate {@code i}. */
    public double probability(int i) {
        return distribution[i];
    }

    /** The number of candidates. */
    public int candidates() {
        return distribution.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StepChoice other && index == other.index
                && Double.compare(kl, other.kl) == 0 && Arrays.equals(distribution, other.distribution);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * index + Arrays.hashCode(distribution)) + Double.hashCode(kl);
    }

    @Override
    public String toString() {
        return "StepChoice[index=" + index + ", distribution=" + Arrays.toString(distribution) + ", kl=" + kl + "]";
    }
}
