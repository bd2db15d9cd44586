package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArgsTest {

    private static double[] scores(double[] lp, double[] r, double w) {
        double[] s = new double[lp.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = lp[i] + w * r[i];
        }
        return s;
    }

    /** softmax by its definition: exp(s_i) / sum_j exp(s_j) (the test's scores are small enough not to overflow). */
    private static double[] softmax(double[] s) {
        double z = 0;
        for (double x : s) {
            z += Math.exp(x);
        }
        double[] p = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            p[i] = Math.exp(s[i]) / z;
        }
        return p;
    }

    @Test
    void greedyIsTheArgmaxOfLogPiRefPlusWeightedRewardByExhaustiveCheck() {
        SplittableRandom rnd = new SplittableRandom(43);
        double[] weights = {0.0, 0.5, 1.0, 1.5, 2.0, 4.0, -1.0};
        int tied = 0;
        for (int trial = 0; trial < 5_000; trial++) {
            int k = 1 + rnd.nextInt(10);
            boolean ties = trial % 2 == 0;
            double[] lp = ties ? Candidates.integers(rnd, k, 4) : Candidates.topKLogProbs(rnd, k);
            if (ties) {
                for (int i = 0; i < k; i++) {
                    lp[i] = -lp[i]; // 0, -1, -2, -3
                }
            }
            double[] r = ties ? Candidates.integers(rnd, k, 4) : Candidates.gaussians(rnd, k, 1.0);
            double w = weights[trial % weights.length];
            double[] s = scores(lp, r, w);
            int expected = Candidates.firstMaximum(s);
            StepChoice choice = Args.choose(lp, r, w, true, null);
            assertThat(choice.index()).as("trial %d", trial).isEqualTo(expected);
            assertThat(choice.probability(expected)).isEqualTo(1.0);
            assertThat(choice.kl()).isEqualTo(-lp[expected]);
            final double max = s[expected];
            if (java.util.Arrays.stream(s).filter(x -> x == max).count() > 1) {
                tied++;
            }
        }
        assertThat(tied).isGreaterThan(500);
    }

    @Test
    void stochasticFrequenciesMatchTheSoftmaxOfTheScore() {
        SplittableRandom rnd = new SplittableRandom(47);
        double[] weights = {1.0, 3.0};
        for (int c = 0; c < weights.length; c++) {
            int k = 8;
            double[] lp = Candidates.topKLogProbs(rnd, k);
            double[] r = Candidates.gaussians(rnd, k, 0.7);
            double w = weights[c];
            long[] counts = ChiSquare.frequencies(k, 200_000, 2000 + c, rng -> Args.choose(lp, r, w, false, rng).index());
            double[] expected = softmax(scores(lp, r, w));
            ChiSquare.Result result = ChiSquare.test(counts, expected);
            assertThat(result.statistic()).as("w %s, %d dof", w, result.degreesOfFreedom())
                    .isLessThan(result.critical());
            // negative control: the reference model's own top-k distribution (w = 0) is rejected
            assertThat(ChiSquare.test(counts, softmax(scores(lp, r, 0.0))).rejects()).isTrue();
        }
    }

    /**
     * The reference code's sampled step (args {@code argsearch.py}, {@code generate_step}, method "topk"):
     * {@code new_scores = rewards * weight + prescreen_logits; softmax(new_scores / temperature)} with its default
     * temperature 0.7, on raw logits. The same probabilities from log pi_ref (the logits minus their log-sum-exp over
     * the vocabulary) and the request's temperature 0.7; the KL stays exact against the raw pi_ref. Before the
     * temperature was applied, the distribution was softmax(new_scores), another one.
     */
    @Test
    void sampledStepIsTheReferenceCodesSoftmaxOfScoresOverTemperature() {
        double[] vocabularyLogits = {3.0, 2.5, 1.0, 0.5, -2.0, -5.0};
        double logZ = 0;
        for (double l : vocabularyLogits) {
            logZ += Math.exp(l);
        }
        logZ = Math.log(logZ);
        double[] prescreenLogits = {3.0, 2.5, 1.0, 0.5};
        double[] rewards = {-0.4, 0.3, 1.2, 0.1};
        double weight = 1.5;
        double temperature = 0.7;
        double[] referenceScaled = new double[4];
        double[] logProbRef = new double[4];
        for (int i = 0; i < 4; i++) {
            referenceScaled[i] = (rewards[i] * weight + prescreenLogits[i]) / temperature;
            logProbRef[i] = prescreenLogits[i] - logZ;
        }
        double[] reference = softmax(referenceScaled);

        StepChoice choice = Args.choose(logProbRef, rewards, weight, false, temperature, new SplittableRandom(5));
        assertThat(Candidates.maxAbsDiff(choice.distribution(), reference)).isLessThan(1e-12);
        double kl = 0;
        for (int i = 0; i < 4; i++) {
            kl += reference[i] * (Math.log(reference[i]) - logProbRef[i]);
        }
        assertThat(choice.kl()).isCloseTo(kl, org.assertj.core.data.Offset.offset(1e-12));
        // temperature 1 is softmax(scores), which is not the reference's distribution at 0.7
        StepChoice atOne = Args.choose(logProbRef, rewards, weight, false, new SplittableRandom(5));
        assertThat(Candidates.maxAbsDiff(atOne.distribution(), reference)).isGreaterThan(0.03);
        // frequencies follow the tempered distribution
        long[] counts = ChiSquare.frequencies(4, 100_000, 2000,
                rng -> Args.choose(logProbRef, rewards, weight, false, temperature, rng).index());
        ChiSquare.Result result = ChiSquare.test(counts, reference);
        assertThat(result.statistic()).isLessThan(result.critical());
    }

    @Test
    void temperatureZeroIsTheArgmaxAndABadTemperatureIsRejected() {
        double[] lp = {-0.2, -1.9, -3.0};
        double[] r = {0.0, 1.5, 0.2};
        StepChoice cold = Args.choose(lp, r, 1.0, false, 0.0, null);
        assertThat(cold).isEqualTo(Args.choose(lp, r, 1.0, true, null));
        assertThat(cold.kl()).isEqualTo(-lp[cold.index()]);
        assertThatThrownBy(() -> Args.choose(lp, r, 1.0, false, -0.1, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("temperature must be finite and >= 0");
        assertThatThrownBy(() -> Args.choose(lp, r, 1.0, false, Double.NaN, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("temperature");
    }

    @Test
    void stochasticDistributionAndKlAreExact() {
        SplittableRandom rnd = new SplittableRandom(53);
        for (int trial = 0; trial < 500; trial++) {
            int k = 1 + rnd.nextInt(10);
            double[] lp = Candidates.topKLogProbs(rnd, k);
            double[] r = Candidates.gaussians(rnd, k, 1.0);
            double w = rnd.nextDouble() * 3;
            StepChoice choice = Args.choose(lp, r, w, false, new SplittableRandom(trial));
            double[] pi = softmax(scores(lp, r, w));
            double kl = 0;
            for (int i = 0; i < k; i++) {
                kl += pi[i] * (Math.log(pi[i]) - lp[i]);
            }
            assertThat(Candidates.maxAbsDiff(choice.distribution(), pi)).as("trial %d", trial).isLessThan(1e-12);
            assertThat(Math.abs(choice.kl() - kl)).as("trial %d", trial).isLessThan(1e-10);
        }
    }

    @Test
    void samplingIsTheInverseCdfOfOneDraw() {
        SplittableRandom rnd = new SplittableRandom(59);
        double[] lp = Candidates.topKLogProbs(rnd, 6);
        double[] r = Candidates.gaussians(rnd, 6, 1.0);
        for (int seed = 0; seed < 200; seed++) {
            StepChoice choice = Args.choose(lp, r, 1.0, false, new SplittableRandom(seed));
            double u = new SplittableRandom(seed).nextDouble();
            double cumulative = 0;
            int expected = -1;
            double[] pi = softmax(scores(lp, r, 1.0));
            for (int i = 0; i < pi.length && expected < 0; i++) {
                cumulative += pi[i];
                if (u < cumulative) {
                    expected = i;
                }
            }
            assertThat(choice.index()).isEqualTo(expected < 0 ? pi.length - 1 : expected);
        }
    }

    @Test
    void invalidInputsAreRejectedWithClearMessages() {
        SplittableRandom rng = new SplittableRandom(1);
        assertThatThrownBy(() -> Args.choose(null, new double[] {1}, 1, true, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ARGS needs at least one candidate");
        assertThatThrownBy(() -> Args.choose(new double[] {-1}, null, 1, true, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 log-probabilities but no rewards");
        assertThatThrownBy(() -> Args.choose(new double[] {-1}, new double[] {1}, Double.NEGATIVE_INFINITY, true, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ARGS: w must be finite, got -Infinity");
        assertThatThrownBy(() -> Args.choose(new double[] {-1, -2}, new double[] {1, Double.NaN}, 1, false, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ARGS: rewards[1] is NaN");
        assertThatThrownBy(() -> Args.choose(new double[] {-1, 3}, new double[] {1, 1}, 1, false, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logProbRef[1] is 3.0");
    }
}
