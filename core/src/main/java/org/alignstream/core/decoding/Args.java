package org.alignstream.core.decoding;

import java.util.random.RandomGenerator;

/**
 * ARGS, Alignment as Reward-Guided Search (Khanov, Burapacheep &amp; Li 2024): at each decoding step the top-k
 * next tokens {@code v} of the reference model are rescored with a reward model evaluated on the extended
 * sequence,
 * <pre>
 *     score(v) = log pi_ref(v | x, y_&lt;t) + w * r(x, y_&lt;t ∘ v),
 * </pre>
 * and the next token is the arg-max of the score (ARGS-greedy) or a draw from {@code softmax(score / T)} over the
 * k candidates (ARGS-stochastic), T the request's temperature, as the reference code samples
 * ({@code softmax(new_scores / temperature)}, 0.7 by default there; the reference scores raw logits, which differ
 * from log-probabilities by a constant that the softmax removes). The reward weight {@code w} trades reward for
 * likelihood; {@code w = 0} is greedy decoding or top-k sampling from the reference model at temperature T.
 * Temperature 0 is the limit of the softmax: the arg-max.
 *
 * <p>The round's KL is exact: {@code KL(pi || pi_ref) = sum_i pi_i (log pi_i - log pi_ref(v_i))} over the
 * candidates with the raw (temperature 1) pi_ref, {@code -log pi_ref(v_index)} when greedy (see
 * {@link RewardTiltedDistribution}).
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
        return choose(logProbRef, rewards, w, greedy, 1.0, rng);
    }

    /**
     * {@link #choose(double[], double[], double, boolean, RandomGenerator)} at temperature {@code temperature}:
     * stochastic ARGS samples from {@code softmax(score / temperature)} with exactly one {@code rng.nextDouble()};
     * temperature 0 (or greedy) takes the arg-max without randomness. The KL is exact against the raw pi_ref.
     *
     * @throws IllegalArgumentException as the other overload, and on a temperature that is not finite and {@code >= 0}
     */
    public static StepChoice choose(double[] logProbRef, double[] rewards, double w, boolean greedy,
            double temperature, RandomGenerator rng) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("ARGS: temperature must be finite and >= 0, got " + temperature);
        }
        double[] scores = RewardTiltedDistribution.tokenwiseScores("ARGS", logProbRef, "rewards", rewards, "w", w);
        if (greedy || temperature == 0) {
            return RewardTiltedDistribution.choose(scores, logProbRef, true, null);
        }
        if (temperature != 1.0) {
            for (int i = 0; i < scores.length; i++) {
                scores[i] /= temperature;
            }
        }
        return RewardTiltedDistribution.choose(scores, logProbRef, false, rng);
    }
}
