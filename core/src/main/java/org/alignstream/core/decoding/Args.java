package org.alignstream.core.decoding;

import java.util.random.RandomGenerator;

/**
 * ARGS, Alignment as Reward-Guided Search (Khanov, Burapacheep &amp; Li 2024): at each decoding step the top-k
 * next tokens {@code v} of the reference model are rescored with a reward model evaluated on the extended
 * sequence,
 * <pre>
 *     score(v) = log pi_ref(v | x, y_&lt;t) + w * r(x, y_&lt;t ∘ v),
 * </pre>
 * and the next token is the arg-max of the score (ARGS-greedy) or a draw from {@code softmax(score)} over the k
 * candidates (ARGS-stochastic). The reward weight {@code w} trades reward for likelihood; {@code w = 0} is greedy
 * decoding or top-k sampling from the reference model.
 *
 * <p>The round's KL is exact: {@code KL(pi || pi_ref) = sum_i pi_i (log pi_i - log pi_ref(v_i))} over the
 * candidates, {@code -log pi_ref(v_index)} when greedy (see {@link RewardTiltedDistribution}).
 */
public final class Args {

    private Args() {
    }

    /**
     * Candidates are the top-k next tokens v of pi_ref with {@code logProbRef[i] = log pi_ref(v_i | x, y_<t)}
     * (raw, temperature 1) and {@code rewards[i] = r(x, y_<t ∘ v_i)}. {@code score_i = logProbRef[i] + w *
     * rewards[i]}. Greedy: arg-max score (one-hot distribution, lowest index on ties, no randomness consumed;
     * {@code rng} may be null). Stochastic: sample from {@code softmax(score)} over the k candidates with exactly
     * one {@code rng.nextDouble()}.
     *
     * @throws IllegalArgumentException on empty or unequal-length arrays, a non-finite {@code w} or reward, or a
     *                                  log-probability that is NaN or positive
     */
    public static StepChoice choose(double[] logProbRef, double[] rewards, double w, boolean greedy,
            RandomGenerator rng) {
        return RewardTiltedDistribution.tokenwise("ARGS", logProbRef, "rewards", rewards, "w", w, greedy, rng);
    }
}
