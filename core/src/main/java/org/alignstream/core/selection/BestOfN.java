package org.alignstream.core.selection;

/**
 * Best-of-N selection: among N candidates sampled from the reference policy, return the one with the
 * highest reward, {@code argmax_i R(x, y_i)}. With N = 1 this is plain sampling.
 *
 * <p>Ties go to the lowest index, so the choice is deterministic. NaN rewards never win over a finite
 * reward; if every reward is NaN the first candidate is returned.
 */
public final class BestOfN {
    private BestOfN() {
    }

    /** Index of the highest reward. */
    public static int select(double[] rewards) {
        if (rewards == null || rewards.length == 0) {
            throw new IllegalArgumentException("Best-of-N needs at least one candidate reward");
        }
        int best = 0;
        for (int i = 1; i < rewards.length; i++) {
            if (rewards[i] > rewards[best] || (Double.isNaN(rewards[best]) && !Double.isNaN(rewards[i]))) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The upper bound {@code log N - (N - 1) / N} of KL(pi_BoN || pi_ref) for N independent samples from pi_ref
     * (Beirami et al. 2024; commonly quoted as the KL of Best-of-N, which it equals only for a reference without ties,
     * e.g. a continuous one). It is a bound, not an estimate: {@link CandidateChoiceKl#bestOfN} gives the exact figure
     * over the drawn candidates.
     */
    public static double klEstimate(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        return Math.log(n) - (n - 1.0) / n;
    }
}
