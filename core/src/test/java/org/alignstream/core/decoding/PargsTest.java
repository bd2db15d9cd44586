package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PargsTest {

    /** pi_ref(v) * exp(beta * r(v)) / Z, computed directly in probability space. */
    private static double[] tilted(double[] logProbRef, double[] rewards, double beta) {
        double[] pi = new double[rewards.length];
        double z = 0;
        for (int i = 0; i < pi.length; i++) {
            pi[i] = Math.exp(logProbRef[i]) * Math.exp(beta * rewards[i]);
            z += pi[i];
        }
        for (int i = 0; i < pi.length; i++) {
            pi[i] /= z;
        }
        return pi;
    }

    /** KL(pi || pi_ref) = sum_i pi_i log(pi_i / pi_ref_i), directly. */
    private static double kl(double[] pi, double[] logProbRef) {
        double kl = 0;
        for (int i = 0; i < pi.length; i++) {
            if (pi[i] > 0) {
                kl += pi[i] * Math.log(pi[i] / Math.exp(logProbRef[i]));
            }
        }
        return kl;
    }

    @Test
    void samplingFrequenciesMatchTheRewardTiltedReference() {
        SplittableRandom rnd = new SplittableRandom(31);
        double[] betas = {0.5, 2.0, -1.0};
        for (int c = 0; c < betas.length; c++) {
            int k = 5 + c; // 5..7 tokens
            double[] lp = Candidates.topKLogProbs(rnd, k);
            double[] r = Candidates.gaussians(rnd, k, 1.0);
            double beta = betas[c];
            long[] counts = ChiSquare.frequencies(k, 200_000, 1000 + c,
                    rng -> Pargs.choose(lp, r, beta, false, rng).index());
            ChiSquare.Result result = ChiSquare.test(counts, tilted(lp, r, beta));
            assertThat(result.statistic()).as("beta %s, %d dof", beta, result.degreesOfFreedom())
                    .isLessThan(result.critical());
        }
    }

    @Test
    void theChiSquareCheckRejectsTheUntiltedReference() {
        // negative control: the same draws checked against pi_ref alone (renormalised over the top-k) must fail
        SplittableRandom rnd = new SplittableRandom(31);
        int k = 6;
        double[] lp = Candidates.topKLogProbs(rnd, k);
        double[] r = Candidates.gaussians(rnd, k, 1.0);
        long[] counts = ChiSquare.frequencies(k, 200_000, 1000,
                rng -> Pargs.choose(lp, r, 0.5, false, rng).index());
        ChiSquare.Result againstReference = ChiSquare.test(counts, tilted(lp, r, 0.0));
        assertThat(againstReference.rejects()).as("chi2 = %s", againstReference.statistic()).isTrue();
        // and a slightly wrong beta is rejected as well
        assertThat(ChiSquare.test(counts, tilted(lp, r, 0.45)).rejects()).isTrue();
    }

    @Test
    void distributionAndKlAreExact() {
        SplittableRandom rnd = new SplittableRandom(37);
        for (int trial = 0; trial < 2_000; trial++) {
            int k = 1 + rnd.nextInt(10);
            double[] lp = Candidates.topKLogProbs(rnd, k);
            double[] r = Candidates.gaussians(rnd, k, 2.0);
            double beta = rnd.nextDouble() * 4 - 1;
            StepChoice choice = Pargs.choose(lp, r, beta, false, new SplittableRandom(trial));
            double[] expected = tilted(lp, r, beta);
            assertThat(Candidates.maxAbsDiff(choice.distribution(), expected)).as("trial %d", trial).isLessThan(1e-12);
            assertThat(Math.abs(choice.kl() - kl(expected, lp))).as("trial %d", trial).isLessThan(1e-10);
            assertThat(choice.kl() >= -1e-12 && expected[choice.index()] > 0).isTrue();
        }
    }

    @Test
    void pargsGIsTheArgmaxWithKlMinusLogPiRef() {
        SplittableRandom rnd = new SplittableRandom(41);
        for (int trial = 0; trial < 5_000; trial++) {
            int k = 1 + rnd.nextInt(8);
            boolean ties = trial % 2 == 0;
            double[] lp = ties ? Candidates.integers(rnd, k, 3) : Candidates.topKLogProbs(rnd, k);
            if (ties) {
                for (int i = 0; i < k; i++) {
                    lp[i] = -lp[i];
                }
            }
            double[] r = ties ? Candidates.integers(rnd, k, 3) : Candidates.gaussians(rnd, k, 1.0);
            double beta = ties ? rnd.nextInt(3) : rnd.nextDouble() * 3;
            double[] pi = tilted(lp, r, beta);
            double[] score = new double[k];
            for (int i = 0; i < k; i++) {
                score[i] = lp[i] + beta * r[i];
            }
            StepChoice choice = Pargs.choose(lp, r, beta, true, null);
            int expected = Candidates.firstMaximum(score);
            assertThat(choice.index()).as("trial %d", trial).isEqualTo(expected);
            assertThat(pi[choice.index()]).isCloseTo(Arrays.stream(pi).max().orElseThrow(), within(1e-12));
            double[] oneHot = new double[k];
            oneHot[expected] = 1;
            assertThat(choice.distribution()).containsExactly(oneHot);
            assertThat(choice.kl()).isEqualTo(-lp[expected]);
            assertThat(choice.kl()).isCloseTo(kl(oneHot, lp), within(1e-12));
        }
    }

    @Test
    void betaZeroIsTopKSamplingFromTheReference() {
        double[] lp = {Math.log(0.5), Math.log(0.2), Math.log(0.1)};
        StepChoice choice = Pargs.choose(lp, new double[] {5, -3, 100}, 0.0, false, new SplittableRandom(1));
        assertThat(choice.distribution()).containsExactly(new double[] {0.625, 0.25, 0.125}, within(1e-15));
        // KL from pi_ref over the full vocabulary: renormalising 0.8 of the mass costs log(1 / 0.8)
        assertThat(choice.kl()).isCloseTo(Math.log(1 / 0.8), within(1e-15));
    }

    @Test
    void hugeRewardsNeitherOverflowNorUnderflow() {
        double[] lp = {-1, -2, -3}; // scores near 1e5: exp(score) overflows, exp(score - max) does not
        StepChoice choice = Pargs.choose(lp, new double[] {1000, 1001, 0}, 100.0, false, new SplittableRandom(2));
        assertThat(choice.distribution()[1]).isCloseTo(1.0, within(1e-12));
        assertThat(choice.index()).isEqualTo(1);
        assertThat(choice.kl()).isCloseTo(2.0, within(1e-9)); // a point mass on a token of pi_ref = e^-2
    }

    @Test
    void zeroReferenceProbabilityIsNeverChosen() {
        double[] lp = {Double.NEGATIVE_INFINITY, -1};
        for (int s = 0; s < 100; s++) {
            StepChoice choice = Pargs.choose(lp, new double[] {50, 0}, 1.0, false, new SplittableRandom(s));
            assertThat(choice.index()).isOne();
            assertThat(choice.kl()).isCloseTo(1.0, within(1e-15));
        }
        assertThat(Pargs.choose(lp, new double[] {50, 0}, 1.0, true, null).index()).isOne();
    }

    @Test
    void invalidInputsAreRejectedWithClearMessages() {
        SplittableRandom rng = new SplittableRandom(1);
        assertThatThrownBy(() -> Pargs.choose(new double[0], new double[0], 1, false, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PARGS needs at least one candidate");
        assertThatThrownBy(() -> Pargs.choose(new double[] {-1, -2}, new double[] {1}, 1, false, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 log-probabilities but 1 rewards");
        assertThatThrownBy(() -> Pargs.choose(new double[] {-1}, new double[] {1}, Double.NaN, false, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beta must be finite, got NaN");
        assertThatThrownBy(() -> Pargs.choose(new double[] {0.1}, new double[] {1}, 1, false, rng))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logProbRef[0] is 0.1; a log-probability must be <= 0");
        assertThatThrownBy(() -> Pargs.choose(new double[] {-1, Double.NaN}, new double[] {1, 2}, 1, false, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logProbRef[1] is NaN");
        assertThatThrownBy(() -> Pargs.choose(new double[] {-1}, new double[] {Double.POSITIVE_INFINITY}, 1, true, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rewards[0] is Infinity");
        assertThatThrownBy(() -> Pargs.choose(new double[] {-1}, new double[] {1e300}, 1e300, true, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows");
        assertThatThrownBy(() -> Pargs.choose(new double[] {Double.NEGATIVE_INFINITY}, new double[] {1}, 1, true, rng))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every candidate has logProbRef = -Infinity");
        assertThatThrownBy(() -> Pargs.choose(new double[] {-1}, new double[] {1}, 1, false, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("rng is required when sampling");
        // rounding slack: a log-probability a hair above 0 is accepted
        assertThat(Pargs.choose(new double[] {1e-7}, new double[] {1}, 1, true, null).index()).isZero();
    }
}
