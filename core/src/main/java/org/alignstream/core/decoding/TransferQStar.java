package org.alignstream.core.decoding;

import java.util.random.RandomGenerator;

/**
 * Transfer Q* (Chakraborty et al. 2024, "Transfer Q Star: Principled Decoding for LLM Alignment"): tokenwise
 * decoding that estimates the optimal action-value {@code Q*(s_t, v)} of each top-k candidate token {@code v} by
 * rolling out a baseline model that is already aligned, and decodes from
 * <pre>
 *     pi(v | s_t) ∝ pi_ref(v | s_t) * exp(alpha * Q(s_t, v)).
 * </pre>
 * Q is the mean over the m rollouts {@code tau_v,j} of each candidate (m = 1 in the reference code):
 * <ul>
 *   <li>Direct transfer: the baseline is aligned to the target reward r, so its rollouts are trajectories of the
 *       target-optimal policy and {@code Q(v) = (1/m) sum_j r(x, y_<t ∘ v ∘ tau_v,j)}.</li>
 *   <li>Indirect transfer: the baseline is aligned to another reward {@code r_BL}. Both are KL-regularised optima of
 *       the same reference with strength {@code beta_BL}, {@code pi_r(tau) ∝ pi_ref(tau) exp(r(tau) / beta_BL)}, so a
 *       baseline rollout is importance-weighted by {@code exp((r - r_BL) / beta_BL)} and
 *       {@code Q(v) = (1/m) sum_j exp((r_j - rBL_j) / beta_BL) r_j}. As in the paper and the reference code
 *       ({@code exp(0.5 (r - r_BL)) * r}, i.e. beta_BL = 2), the weights are not normalised across candidates: the
 *       ratio of normalisers is a constant of the state, and dividing by the candidates' weight sum would rescale
 *       every Q of a round by a factor that changes from round to round, which alpha would then be multiplied by.
 *       {@code beta_BL} is its own parameter ({@code baseline_beta}), not the decoding weight alpha.</li>
 * </ul>
 * The round's KL given the rollouts is exact (see {@link RewardTiltedDistribution}).
 *
 * <p>Where we differ from the reference code: the reference divides the sampled step's scores by a temperature (0.7
 * by default); here tq_star's temperature is the rollouts' (0 = greedy rollouts, the reference's
 * {@code generate} default), and a sampled step draws from {@code softmax(score)} as the paper writes it.
 */
public final class TransferQStar {

    private static final String METHOD = "Transfer Q*";

    private TransferQStar() {
    }

    /**
     * Direct transfer with one rollout per candidate: {@code Q(v) = r(x, y_<t ∘ v ∘ tau_v)}; returns a copy of the
     * rewards (which must be finite).
     */
    public static double[] directQ(double[] rewards) {
        RewardTiltedDistribution.checkNonEmpty(METHOD, "rewards", rewards);
        RewardTiltedDistribution.checkFinite(METHOD, "rewards", rewards);
        return rewards.clone();
    }

    /**
     * Direct transfer with m rollouts: {@code Q_i = (1/m) sum_j rewards[i][j]}, {@code rewards[i][j]} the reward of
     * candidate i's rollout j (every candidate the same m >= 1).
     */
    public static double[] directQ(double[][] rewards) {
        int m = checkRollouts("rewards", rewards, -1);
        double[] q = new double[rewards.length];
        for (int i = 0; i < q.length; i++) {
            RewardTiltedDistribution.checkFinite(METHOD, "rewards[" + i + "]", rewards[i]);
            for (double r : rewards[i]) {
                q[i] += r;
            }
            q[i] /= m;
        }
        return q;
    }

    /**
     * Indirect transfer with one rollout per candidate: {@code Q_i = exp((r_i - rBL_i) / betaBL) * r_i}
     * ({@link #importanceWeights}).
     */
    public static double[] indirectQ(double[] rewards, double[] baselineRewards, double baselineBeta) {
        RewardTiltedDistribution.checkNonEmpty(METHOD, "rewards", rewards);
        if (baselineRewards == null || baselineRewards.length != rewards.length) {
            throw new IllegalArgumentException(METHOD + " needs one baseline reward per candidate: " + rewards.length
                    + " rewards but " + (baselineRewards == null ? "no" : String.valueOf(baselineRewards.length))
                    + " baselineRewards");
        }
        double[][] r = new double[rewards.length][];
        double[][] b = new double[rewards.length][];
        for (int i = 0; i < rewards.length; i++) {
            r[i] = new double[] {rewards[i]};
            b[i] = new double[] {baselineRewards[i]};
        }
        return indirectQ(r, b, baselineBeta);
    }

    /**
     * Indirect transfer with m rollouts: {@code Q_i = (1/m) sum_j exp((r_ij - rBL_ij) / betaBL) r_ij}, the Monte
     * Carlo estimate of the target-optimal policy's expected reward from baseline rollouts, each candidate on its own
     * (no normalisation across candidates). {@code betaBL} finite and {@code > 0}.
     *
     * @throws IllegalArgumentException on ragged or mismatched arrays, non-finite rewards, a bad betaBL, or a weight
     *                                  or Q that overflows
     */
    public static double[] indirectQ(double[][] rewards, double[][] baselineRewards, double baselineBeta) {
        int m = checkRollouts("rewards", rewards, -1);
        checkRollouts("baselineRewards", baselineRewards, m);
        if (baselineRewards.length != rewards.length) {
            throw new IllegalArgumentException(METHOD + " needs baseline rewards for each of the " + rewards.length
                    + " candidates, got " + baselineRewards.length);
        }
        double[] q = new double[rewards.length];
        for (int i = 0; i < q.length; i++) {
            double[] w = importanceWeights(rewards[i], baselineRewards[i], baselineBeta);
            for (int j = 0; j < m; j++) {
                q[i] += w[j] * rewards[i][j];
            }
            q[i] /= m;
            if (!Double.isFinite(q[i])) {
                throw new IllegalArgumentException(METHOD + ": Q of candidate " + i + " overflows (" + q[i] + ")");
            }
        }
        return q;
    }

    /**
     * The importance weights of indirect transfer, {@code w_i = exp((r_i - rBL_i) / betaBL)}, each on its own (the
     * ratio of the two policies' normalisers is a constant of the state and is left out, as in the paper).
     *
     * @throws IllegalArgumentException on mismatched arrays, non-finite rewards, {@code betaBL} not finite and
     *                                  {@code > 0}, or a weight beyond the range of {@code exp}
     */
    public static double[] importanceWeights(double[] rewards, double[] baselineRewards, double baselineBeta) {
        RewardTiltedDistribution.checkNonEmpty(METHOD, "rewards", rewards);
        if (baselineRewards == null || baselineRewards.length != rewards.length) {
            throw new IllegalArgumentException(METHOD + " needs one baseline reward per rollout: " + rewards.length
                    + " rewards but " + (baselineRewards == null ? "no" : String.valueOf(baselineRewards.length))
                    + " baselineRewards");
        }
        if (!(baselineBeta > 0.0) || Double.isInfinite(baselineBeta)) {
            throw new IllegalArgumentException(METHOD + ": baseline_beta must be finite and > 0 for indirect transfer,"
                    + " got " + baselineBeta);
        }
        RewardTiltedDistribution.checkFinite(METHOD, "rewards", rewards);
        RewardTiltedDistribution.checkFinite(METHOD, "baselineRewards", baselineRewards);
        double[] w = new double[rewards.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.exp((rewards[i] - baselineRewards[i]) / baselineBeta);
            if (!Double.isFinite(w[i])) {
                throw new IllegalArgumentException(METHOD + ": exp((rewards[" + i + "] - baselineRewards[" + i
                        + "]) / baseline_beta) = exp((" + rewards[i] + " - " + baselineRewards[i] + ") / "
                        + baselineBeta + ") overflows");
            }
        }
        return w;
    }

    /** Every candidate has the same number m >= 1 of rollouts ({@code expected} if >= 0); returns m. */
    private static int checkRollouts(String name, double[][] values, int expected) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException(METHOD + " needs at least one candidate (" + name + " is "
                    + (values == null ? "null" : "empty") + ")");
        }
        int m = expected >= 0 ? expected : (values[0] == null ? 0 : values[0].length);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null || values[i].length != m || m < 1) {
                throw new IllegalArgumentException(METHOD + " needs the same number m >= 1 of rollouts for every"
                        + " candidate: " + name + "[" + i + "] has "
                        + (values[i] == null ? "none" : String.valueOf(values[i].length)) + ", expected " + m);
            }
        }
        return m;
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
