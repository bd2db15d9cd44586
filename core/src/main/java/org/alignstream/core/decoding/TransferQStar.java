package org.alignstream.core.decoding;

import java.util.random.RandomGenerator;

/**
 * Transfer Q* (Chakraborty et al. 2024, "Transfer Q Star: Principled Decoding for LLM Alignment"): tokenwise
 * decoding that estimates the optimal action-value {@code Q*(s_t, v)} of each top-k candidate token {@code v} by
 * rolling out a baseline model that is already aligned, and decodes from
 * <pre>
 *     pi(v | s_t) ∝ pi_ref(v | s_t) * exp(alpha * Q(s_t, v)).
 * </pre>
 * <ul>
 *   <li>Direct transfer: the baseline is aligned to the target reward r, so its rollout {@code tau_v} after
 *       {@code v} is a trajectory of the target-optimal policy and {@code Q(v) = r(x, y_<t ∘ v ∘ tau_v)}.</li>
 *   <li>Indirect transfer: the baseline is aligned to another reward {@code r_BL}. Both are KL-regularised
 *       optima of the same reference, {@code pi_r(tau) ∝ pi_ref(tau) exp(r(tau) / alpha)}, so the importance
 *       ratio of the target-optimal over the baseline trajectory distribution is
 *       {@code exp((r - r_BL) / alpha)} times a ratio of normalisers; that ratio is estimated by
 *       self-normalising over the k rollouts, and {@code Q_i = w_i * r_i}.</li>
 * </ul>
 * The round's KL is exact (see {@link RewardTiltedDistribution}).
 */
public final class TransferQStar {

    private static final String METHOD = "Transfer Q*";

    private TransferQStar() {
    }

    /**
     * Direct transfer: the baseline model is aligned to the target reward, so {@code Q(v) = r(x, y_<t ∘ v ∘
     * tau_v)}, {@code tau_v} its rollout; returns a copy of the rewards (which must be finite).
     */
    public static double[] directQ(double[] rewards) {
        RewardTiltedDistribution.checkNonEmpty(METHOD, "rewards", rewards);
        RewardTiltedDistribution.checkFinite(METHOD, "rewards", rewards);
        return rewards.clone();
    }

    /**
     * Indirect transfer: the baseline is aligned to another reward {@code r_BL}. Importance ratio of the
     * target-optimal over the baseline trajectory distribution, {@code w_i ∝ exp((r_i - rBL_i) / alpha)}
     * (closed form of KL-regularised optimal policies, normaliser ratio estimated by self-normalising over the k
     * rollouts so the weights average 1), {@code Q_i = w_i * r_i}. {@code alpha > 0} required. Computed in log
     * space (the maximum subtracted), so it never overflows.
     */
    public static double[] indirectQ(double[] rewards, double[] baselineRewards, double alpha) {
        double[] w = importanceWeights(rewards, baselineRewards, alpha);
        double[] q = new double[w.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = w[i] * rewards[i];
        }
        return q;
    }

    /**
     * The self-normalised importance weights of {@link #indirectQ}: {@code w_i = k * exp(d_i - max d) / sum_j
     * exp(d_j - max d)} with {@code d_i = (r_i - rBL_i) / alpha}. They average 1, and each is {@code >= 0}
     * (exactly 0 only where {@code d_i} lies more than about 745 below the largest, beyond {@code exp}'s range).
     */
    public static double[] importanceWeights(double[] rewards, double[] baselineRewards, double alpha) {
        RewardTiltedDistribution.checkNonEmpty(METHOD, "rewards", rewards);
        if (baselineRewards == null || baselineRewards.length != rewards.length) {
            throw new IllegalArgumentException(METHOD + " needs one baseline reward per candidate: " + rewards.length
                    + " rewards but " + (baselineRewards == null ? "no" : String.valueOf(baselineRewards.length))
                    + " baselineRewards");
        }
        if (!(alpha > 0.0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException(METHOD + ": alpha must be finite and > 0 for indirect transfer, got "
                    + alpha);
        }
        RewardTiltedDistribution.checkFinite(METHOD, "rewards", rewards);
        RewardTiltedDistribution.checkFinite(METHOD, "baselineRewards", baselineRewards);
        int k = rewards.length;
        double[] logRatio = new double[k];
        for (int i = 0; i < k; i++) {
            logRatio[i] = (rewards[i] - baselineRewards[i]) / alpha;
            if (!Double.isFinite(logRatio[i])) {
                throw new IllegalArgumentException(METHOD + ": (rewards[" + i + "] - baselineRewards[" + i
                        + "]) / alpha = (" + rewards[i] + " - " + baselineRewards[i] + ") / " + alpha + " overflows");
            }
        }
        double[] w = RewardTiltedDistribution.softmax(logRatio);
        for (int i = 0; i < k; i++) {
            w[i] *= k;
        }
        return w;
    }

    /**
     * {@code score_i = logProbRef[i] + alpha * q[i]}; greedy arg-max (one-hot distribution, lowest index on ties,
     * no randomness consumed; {@code rng} may be null), else sample from {@code softmax(score)} over the k
     * candidates with exactly one {@code rng.nextDouble()}.
     *
     * @throws IllegalArgumentException on empty or unequal-length arrays, a non-finite {@code alpha} or Q value,
     *                                  or a log-probability that is NaN or positive
     */
    public static StepChoice choose(double[] logProbRef, double[] q, double alpha, boolean greedy,
            RandomGenerator rng) {
        return RewardTiltedDistribution.tokenwise(METHOD, logProbRef, "q", q, "alpha", alpha, greedy, rng);
    }
}
