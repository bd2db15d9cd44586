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
     * The Best-of-N estimate of KL(pi_BoN || pi_ref) for N samples, {@code log N - (N - 1) / N}
     * (Beirami et al. 2024 bound, commonly used as the KL of Best-of-N).
     */
    public static double klEstimate(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        return Math.log(n) - (n - 1.0) / n;
    }
}
