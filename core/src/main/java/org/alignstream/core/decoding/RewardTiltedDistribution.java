package org.alignstream.core.decoding;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.alignstream.core.selection.BestOfN;

/**
 * The categorical distribution every stepwise method here reduces to: a reference distribution {@code q} over
 * k candidates tilted by a value, {@code pi_i ∝ q_i * exp(weight * value_i)}, i.e. {@code pi = softmax(score)}
 * with {@code score_i = log q_i + weight * value_i}. For {@code weight > 0} this is the closed form of the
 * KL-regularised objective
 * {@code max_pi E_pi[value] - (1/weight) KL(pi || q)}.
 *
 * <p>The maths is done once here:
 * <ul>
 *   <li>the softmax is computed in log space, {@code log pi_i = score_i - logSumExp(score)} with the maximum
 *       subtracted, so it neither overflows nor underflows to an all-zero vector;</li>
 *   <li>sampling is an inverse-CDF walk that consumes exactly one {@code rng.nextDouble()}; greedy choice is the
 *       arg-max of the score (lowest index on ties) and consumes no randomness;</li>
 *   <li>the round's {@code KL(pi || q) = sum_i pi_i (log pi_i - log q_i)} over the candidates with
 *       {@code pi_i > 0}; for a greedy (one-hot) choice of {@code i} it is {@code -log q_i}.</li>
 * </ul>
 * For the tokenwise methods {@code q} is {@code pi_ref} itself, not renormalised over the top-k: pi is supported
 * on the top-k, so the terms of {@code KL(pi || pi_ref)} outside it vanish and the sum over the candidates is
 * the exact KL over the whole vocabulary.
 */
public final class RewardTiltedDistribution {

    /** Rounding slack for a log-probability that should be {@code <= 0}. */
    static final double LOG_PROB_SLACK = 1e-6;

    private RewardTiltedDistribution() {
    }

    /**
     * {@code log softmax(scores)}, max-subtracted. Scores must be finite or {@code -Infinity} (probability 0), with
     * at least one finite.
     */
    public static double[] logSoftmax(double[] scores) {
        Objects.requireNonNull(scores, "scores");
        if (scores.length == 0) {
            throw new IllegalArgumentException("scores must not be empty");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < scores.length; i++) {
            double s = scores[i];
            if (Double.isNaN(s) || s == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("scores[" + i + "] is " + s + "; scores must be finite or -Infinity");
            }
            max = Math.max(max, s);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("all " + scores.length + " scores are -Infinity");
        }
        double sum = 0.0;
        for (double s : scores) {
            sum += Math.exp(s - max);
        }
        double logSum = Math.log(sum);
        double[] out = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            out[i] = (scores[i] - max) - logSum; // not scores[i] - (max + logSum): keeps precision for large scores
        }
        return out;
    }

    /** {@code softmax(scores)} computed as {@code exp(logSoftmax(scores))}. */
    public static double[] softmax(double[] scores) {
        double[] p = logSoftmax(scores);
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(p[i]);
        }
        return p;
    }

    /** Index of the largest score; the lowest index wins ties (the {@link BestOfN#select} rule). */
    public static int argmax(double[] scores) {
        return BestOfN.select(scores);
    }

    /**
     * Inverse-CDF sampling: the first index whose cumulative probability exceeds {@code u * sum(distribution)};
     * zero-probability candidates are never returned. {@code u} is a uniform draw in {@code [0, 1)}.
     */
    public static int sample(double[] distribution, double u) {
        double total = 0.0;
        for (double p : distribution) {
            total += p;
        }
        double target = u * total;
        double cumulative = 0.0;
        int last = -1;
        for (int i = 0; i < distribution.length; i++) {
            if (distribution[i] == 0.0) {
                continue;
            }
            cumulative += distribution[i];
            last = i;
            if (target < cumulative) {
                return i;
            }
        }
        if (last < 0) {
            throw new IllegalArgumentException("the distribution has no candidate with positive probability");
        }
        return last; // u within rounding error of 1
    }

    /**
     * {@code KL(pi || q) = sum_i pi_i (log pi_i - log q_i)} over the {@code i} with {@code pi_i > 0}, given
     * {@code pi} together with its logarithm (computed in log space, so more precise than {@code log(pi_i)}).
     */
    public static double klDivergence(double[] pi, double[] logPi, double[] logQ) {
        double kl = 0.0;
        for (int i = 0; i < pi.length; i++) {
            if (pi[i] > 0.0) {
                kl += pi[i] * (logPi[i] - logQ[i]);
            }
        }
        return kl;
    }

    /**
     * One round: {@code pi = softmax(scores)}; greedy takes the arg-max (one-hot distribution, KL
     * {@code -logQ[index]}), otherwise one draw from pi (KL {@code sum_i pi_i (log pi_i - logQ[i])}).
     * {@code rng} may be null when greedy.
     */
    public static StepChoice choose(double[] scores, double[] logQ, boolean greedy, RandomGenerator rng) {
        Objects.requireNonNull(scores, "scores");
        if (logQ == null || logQ.length != scores.length) {
            throw new IllegalArgumentException("one reference log-probability per candidate is needed: "
                    + scores.length + " scores but " + (logQ == null ? "no" : String.valueOf(logQ.length))
                    + " reference log-probabilities");
        }
        if (greedy) {
            logSoftmax(scores); // same validation as the sampled path
            int index = argmax(scores);
            double[] oneHot = new double[scores.length];
            oneHot[index] = 1.0;
            return new StepChoice(index, oneHot, -logQ[index]);
        }
        Objects.requireNonNull(rng, "rng is required when sampling (greedy = false)");
        double[] logPi = logSoftmax(scores);
        double[] pi = new double[logPi.length];
        for (int i = 0; i < pi.length; i++) {
            pi[i] = Math.exp(logPi[i]);
        }
        int index = sample(pi, rng.nextDouble());
        return new StepChoice(index, pi, klDivergence(pi, logPi, logQ));
    }

    /**
     * The tokenwise step shared by ARGS, PARGS and Transfer Q*: {@code score_i = logProbRef[i] + weight *
     * values[i]} over the top-k candidates, then {@link #choose} with {@code q = pi_ref}. Validates the inputs,
     * naming them as the calling method does in its messages.
     */
    static StepChoice tokenwise(String method, double[] logProbRef, String valuesName, double[] values,
            String weightName, double weight, boolean greedy, RandomGenerator rng) {
        double[] scores = tokenwiseScores(method, logProbRef, valuesName, values, weightName, weight);
        return choose(scores, logProbRef, greedy, rng);
    }

    /** {@code logProbRef[i] + weight * values[i]}, after validating the inputs (see {@link #tokenwise}). */
    static double[] tokenwiseScores(String method, double[] logProbRef, String valuesName, double[] values,
            String weightName, double weight) {
        if (logProbRef == null || logProbRef.length == 0) {
            throw new IllegalArgumentException(method + " needs at least one candidate (logProbRef is "
                    + (logProbRef == null ? "null" : "empty") + ")");
        }
        if (values == null || values.length != logProbRef.length) {
            throw new IllegalArgumentException(method + " needs one " + valuesName + " value per candidate: "
                    + logProbRef.length + " log-probabilities but "
                    + (values == null ? "no" : String.valueOf(values.length)) + " " + valuesName);
        }
        if (!Double.isFinite(weight)) {
            throw new IllegalArgumentException(method + ": " + weightName + " must be finite, got " + weight);
        }
        checkLogProbs(method, "logProbRef", logProbRef);
        checkFinite(method, valuesName, values);
        double[] scores = new double[logProbRef.length];
        boolean anyPossible = false;
        for (int i = 0; i < scores.length; i++) {
            double tilt = weight == 0.0 ? 0.0 : weight * values[i];
            if (!Double.isFinite(tilt)) {
                throw new IllegalArgumentException(method + ": " + weightName + " * " + valuesName + "[" + i + "] = "
                        + weight + " * " + values[i] + " overflows");
            }
            scores[i] = logProbRef[i] + tilt;
            anyPossible |= logProbRef[i] != Double.NEGATIVE_INFINITY;
        }
        if (!anyPossible) {
            throw new IllegalArgumentException(method + ": every candidate has logProbRef = -Infinity (pi_ref = 0)");
        }
        return scores;
    }

    /** Log-probabilities must be {@code <= 0} (up to rounding) or {@code -Infinity}; NaN is rejected. */
    static void checkLogProbs(String method, String name, double[] logProbs) {
        for (int i = 0; i < logProbs.length; i++) {
            if (!(logProbs[i] <= LOG_PROB_SLACK)) {
                throw new IllegalArgumentException(method + ": " + name + "[" + i + "] is " + logProbs[i]
                        + "; a log-probability must be <= 0");
            }
        }
    }

    /** Every value must be finite. */
    static void checkFinite(String method, String name, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(method + ": " + name + "[" + i + "] is " + values[i] + "; "
                        + name + " must be finite");
            }
        }
    }

    /** Non-null and non-empty, else an exception naming the method and the array. */
    static void checkNonEmpty(String method, String name, double[] values) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException(method + " needs at least one candidate (" + name + " is "
                    + (values == null ? "null" : "empty") + ")");
        }
    }
}
