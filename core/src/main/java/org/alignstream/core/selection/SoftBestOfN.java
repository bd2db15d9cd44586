package org.alignstream.core.selection;

import java.util.random.RandomGenerator;
import org.alignstream.core.decoding.RewardTiltedDistribution;

/**
 * Soft Best-of-N (Verdun et al. 2025, "Soft Best-of-n Sampling for Model Alignment"): among N candidates sampled from
 * the reference policy, choose candidate {@code i} with probability
 * <pre>  p_i = exp(R_i / lambda) / sum_j exp(R_j / lambda),</pre>
 * a temperature {@code lambda >= 0} between Best-of-N ({@code lambda -> 0}) and plain sampling, the uniform choice
 * among the N draws ({@code lambda -> infinity}). {@code lambda = 0} is Best-of-N itself: {@link BestOfN#select}, ties
 * to the lowest index, no randomness consumed. For {@code lambda > 0} tied rewards share their mass equally.
 *
 * <p>The KL figure ({@link #kl}) is the exact KL of this choice from the base choice among the same candidates, the
 * uniform one that plain sampling makes, over the distinct texts: with {@code c_d} the number of candidates with text
 * d and {@code P_d} the sum of their {@code p_i},
 * <pre>  KL = sum_d P_d log(P_d / (c_d / N)),</pre>
 * 0 when all N candidates are one text (temperature 0) and at most {@code log N}. Given the draws it is exact; since
 * the draws' uniform choice averages to pi_ref and the soft choice to the method's output distribution, joint
 * convexity of KL makes its expectation over the draws an upper bound of KL(pi || pi_ref) ({@code
 * KlKind.ONE_SAMPLE_UPPER_BOUND}). At {@code lambda = 0} the exact figure over the candidates is
 * {@link CandidateChoiceKl#bestOfN}.
 */
public final class SoftBestOfN {

    private SoftBestOfN() {
    }

    /**
     * The choice distribution {@code p_i ∝ exp(R_i / lambda)}, computed as the softmax of {@code (R_i - max R) /
     * lambda} so that no small lambda overflows; {@code lambda = 0}: one-hot on {@link BestOfN#select}.
     *
     * @throws IllegalArgumentException on no rewards, a non-finite reward, or a lambda that is negative or not finite
     */
    public static double[] probabilities(double[] rewards, double lambda) {
        check(rewards, lambda);
        double[] p = new double[rewards.length];
        if (lambda == 0.0) {
            p[BestOfN.select(rewards)] = 1.0;
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double r : rewards) {
            max = Math.max(max, r);
        }
        double[] scores = new double[rewards.length];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (rewards[i] - max) / lambda; // <= 0; -Infinity (probability 0) when lambda underflows it
        }
        return RewardTiltedDistribution.softmax(scores);
    }

    /**
     * The chosen index: {@code lambda = 0} takes {@link BestOfN#select} and consumes no randomness ({@code rng} may be
     * null); otherwise one inverse-CDF draw from {@link #probabilities}, exactly one {@code rng.nextDouble()}.
     */
    public static int select(double[] rewards, double lambda, RandomGenerator rng) {
        double[] p = probabilities(rewards, lambda);
        if (lambda == 0.0) {
            return BestOfN.select(rewards);
        }
        if (rng == null) {
            throw new IllegalArgumentException("soft Best-of-N with lambda > 0 samples and needs a random generator");
        }
        return RewardTiltedDistribution.sample(p, rng.nextDouble());
    }

    /**
     * The exact KL of the choice from the uniform choice among the same candidates, over the distinct texts (see the
     * class comment).
     *
     * @param firstOccurrence {@link CandidateChoiceKl#firstOccurrence} of the candidates' tokens
     */
    public static double kl(double[] rewards, double lambda, int[] firstOccurrence) {
        double[] p = probabilities(rewards, lambda);
        int n = p.length;
        if (firstOccurrence == null || firstOccurrence.length != n) {
            throw new IllegalArgumentException("soft Best-of-N's KL needs one occurrence index per candidate: " + n
                    + " rewards but " + (firstOccurrence == null ? "no" : String.valueOf(firstOccurrence.length))
                    + " indices");
        }
        double[] mass = new double[n];
        int[] count = new int[n];
        for (int i = 0; i < n; i++) {
            int d = firstOccurrence[i];
            if (d < 0 || d > i || firstOccurrence[d] != d) {
                throw new IllegalArgumentException("firstOccurrence[" + i + "] = " + d
                        + " is not the first index of a candidate");
            }
            mass[d] += p[i];
            count[d]++;
        }
        double kl = 0.0;
        for (int d = 0; d < n; d++) {
            if (mass[d] > 0.0) {
                kl += mass[d] * Math.log(mass[d] * n / count[d]);
            }
        }
        return Math.max(0.0, kl);
    }

    private static void check(double[] rewards, double lambda) {
        if (rewards == null || rewards.length == 0) {
            throw new IllegalArgumentException("soft Best-of-N needs at least one candidate reward");
        }
        for (int i = 0; i < rewards.length; i++) {
            if (!Double.isFinite(rewards[i])) {
                throw new IllegalArgumentException("soft Best-of-N: rewards[" + i + "] is " + rewards[i]
                        + "; rewards must be finite");
            }
        }
        if (!(lambda >= 0.0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("soft Best-of-N needs lambda (beta) finite and >= 0, was " + lambda);
        }
    }
}
