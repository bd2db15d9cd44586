package org.alignstream.core.decoding;

import java.util.random.RandomGenerator;

/**
 * PARGS (Rashid et al. 2024, "A Critical Look At Tokenwise Reward-Guided Text Generation"): tokenwise
 * reward-guided decoding with a reward model trained on partial sequences. Each step samples the next token from
 * the reference policy tilted by the reward of the extended prefix,
 * <pre>
 *     pi(v | x, y_&lt;t) ∝ pi_ref(v | x, y_&lt;t) * exp(beta * r(x, y_&lt;t ∘ v)),
 * </pre>
 * over the top-k tokens of pi_ref, the solution of the KL-regularised tokenwise objective. PARGS samples from it;
 * PARGS-G takes its arg-max.
 *
 * <p>The maths of one step is that of stochastic ARGS with {@code w = beta} at temperature 1; the methods differ in
 * the reward model (PARGS trains it on partial sequences, ARGS scores prefixes with a model trained on full
 * responses), which lives outside this class. As in the reference code ({@code Categorical(logits=score)}), no
 * temperature divides the scores. A request for {@code pargs} samples unless it asks for greedy, and expects a
 * partial-sequence reward model unless it names another kind ({@link AlignmentMethod#PARGS}). The round's KL is
 * exact (see {@link RewardTiltedDistribution}).
 */
public final class Pargs {

    private Pargs() {
    }

    /**
     * {@code pi(v) ∝ pi_ref(v) * exp(beta * r(x, y_<t ∘ v))} over the top-k, with {@code logProbRef[i] =
     * log pi_ref(v_i | x, y_<t)} and {@code rewards[i] = r(x, y_<t ∘ v_i)}; sample from it with exactly one
     * {@code rng.nextDouble()} (PARGS) or take its arg-max without randomness (greedy = PARGS-G; {@code rng} may
     * be null). The reward model is meant to be trained on partial sequences; the maths of one step is here.
     *
     * @throws IllegalArgumentException on empty or unequal-length arrays, a non-finite {@code beta} or reward, or
     *                                  a log-probability that is NaN or positive
     */
    public static StepChoice choose(double[] logProbRef, double[] rewards, double beta, boolean greedy,
            RandomGenerator rng) {
        return RewardTiltedDistribution.tokenwise("PARGS", logProbRef, "rewards", rewards, "beta", beta, greedy, rng);
    }
}
