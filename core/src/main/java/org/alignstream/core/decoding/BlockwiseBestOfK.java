package org.alignstream.core.decoding;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.alignstream.core.selection.BestOfN;

/**
 * Blockwise Controlled Decoding (Mudgal et al. 2024, "Controlled Decoding from Language Models"), the
 * blockwise best-of-K variant: each round samples K continuations of M tokens from the reference model, scores
 * each extended prefix with the (prefix) reward, and keeps one; the kept block is appended and the next round
 * starts from it. {@code M = 1} is a tokenwise method, {@code M = max_new_tokens} is Best-of-N.
 *
 * <p>Greedy keeps the highest reward (Best-of-K), whose KL from the reference is bounded by
 * {@code log K - (K-1)/K} ({@link BestOfN#klEstimate}; {@code KlKind.UPPER_BOUND}). Sampled keeps candidate {@code i}
 * with probability {@code p_i ∝ exp(beta * r_i)}, the reference's uniform choice among the K samples tilted by the
 * reward, and the round's figure is the KL of the reweighted choice from the uniform one,
 * {@code sum_i p_i log(K p_i)}: given the sampled blocks, so it bounds the block's KL in expectation over them rather
 * than equals it ({@code KlKind.ONE_SAMPLE_UPPER_BOUND}).
 */
public final class BlockwiseBestOfK {

    private BlockwiseBestOfK() {
    }

    /**
     * K continuations sampled from pi_ref with rewards {@code rewards[i]}; greedy: keep the best reward (lowest
     * index on ties, no randomness consumed; {@code rng} may be null); else sample {@code i} with probability
     * {@code ∝ exp(beta * r_i)} with exactly one {@code rng.nextDouble()}. kl: greedy {@code log K - (K-1)/K};
     * sampled {@code sum_i p_i log(K p_i)}.
     *
     * @throws IllegalArgumentException on an empty reward array, a non-finite reward or a non-finite {@code beta}
     */
    public static StepChoice choose(double[] rewards, double beta, boolean greedy, RandomGenerator rng) {
        String method = "Blockwise best-of-K";
        RewardTiltedDistribution.checkNonEmpty(method, "rewards", rewards);
        RewardTiltedDistribution.checkFinite(method, "rewards", rewards);
        if (!Double.isFinite(beta)) {
            throw new IllegalArgumentException(method + ": beta must be finite, got " + beta);
        }
        int k = rewards.length;
        if (greedy) {
            int index = BestOfN.select(rewards);
            double[] oneHot = new double[k];
            oneHot[index] = 1.0;
            return new StepChoice(index, oneHot, BestOfN.klEstimate(k));
        }
        double[] scores = new double[k];
        for (int i = 0; i < k; i++) {
            scores[i] = beta == 0.0 ? 0.0 : beta * rewards[i];
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException(method + ": beta * rewards[" + i + "] = " + beta + " * "
                        + rewards[i] + " overflows");
            }
        }
        double[] logUniform = new double[k];
        Arrays.fill(logUniform, -Math.log(k));
        return RewardTiltedDistribution.choose(scores, logUniform, false, rng);
    }
}
