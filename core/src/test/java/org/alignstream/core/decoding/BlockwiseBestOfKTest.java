package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BlockwiseBestOfKTest {

    /** p_i = exp(beta r_i) / sum_j exp(beta r_j), directly. */
    private static double[] reweighted(double[] r, double beta) {
        double z = 0;
        for (double x : r) {
            z += Math.exp(beta * x);
        }
        double[] p = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            p[i] = Math.exp(beta * r[i]) / z;
        }
        return p;
    }

    @Test
    void greedyKeepsTheBestRewardWithTheBestOfKKl() {
        SplittableRandom rnd = new SplittableRandom(61);
        for (int trial = 0; trial < 5_000; trial++) {
            int k = 1 + rnd.nextInt(16);
            double[] r = trial % 2 == 0 ? Candidates.integers(rnd, k, 4) : Candidates.gaussians(rnd, k, 1.0);
            StepChoice choice = BlockwiseBestOfK.choose(r, rnd.nextDouble(), true, null);
            int expected = Candidates.firstMaximum(r);
            assertThat(choice.index()).as("trial %d", trial).isEqualTo(expected);
            assertThat(choice.probability(expected)).isEqualTo(1.0);
            assertThat(choice.kl()).isCloseTo(Math.log(k) - (k - 1.0) / k, within(1e-15));
        }
        assertThat(BlockwiseBestOfK.choose(new double[] {3}, 1, true, null).kl()).isZero();
    }

    @Test
    void sampledFrequenciesAreProportionalToExpBetaReward() {
        SplittableRandom rnd = new SplittableRandom(67);
        double[] betas = {1.0, 4.0};
        for (int c = 0; c < betas.length; c++) {
            int k = 6;
            double[] r = Candidates.gaussians(rnd, k, 0.5);
            double beta = betas[c];
            long[] counts = ChiSquare.frequencies(k, 200_000, 3000 + c,
                    rng -> BlockwiseBestOfK.choose(r, beta, false, rng).index());
            ChiSquare.Result result = ChiSquare.test(counts, reweighted(r, beta));
            assertThat(result.statistic()).as("beta %s, %d dof", beta, result.degreesOfFreedom())
                    .isLessThan(result.critical());
            // negative control: the uniform choice among the K samples is rejected
            assertThat(ChiSquare.test(counts, reweighted(r, 0.0)).rejects()).isTrue();
        }
    }

    @Test
    void sampledKlIsThatOfTheReweightedChoiceFromTheUniformOne() {
        SplittableRandom rnd = new SplittableRandom(71);
        for (int trial = 0; trial < 500; trial++) {
            int k = 1 + rnd.nextInt(16);
            double[] r = Candidates.gaussians(rnd, k, 1.0);
            double beta = rnd.nextDouble() * 5;
            StepChoice choice = BlockwiseBestOfK.choose(r, beta, false, new SplittableRandom(trial));
            double[] p = reweighted(r, beta);
            double kl = 0;
            for (double pi : p) {
                kl += pi * Math.log(k * pi);
            }
            assertThat(Candidates.maxAbsDiff(choice.distribution(), p)).as("trial %d", trial).isLessThan(1e-12);
            assertThat(Math.abs(choice.kl() - kl)).as("trial %d", trial).isLessThan(1e-10);
            assertThat(choice.kl() <= Math.log(k) + 1e-12).isTrue(); // KL from uniform <= log K
        }
        StepChoice uniform = BlockwiseBestOfK.choose(new double[] {1, 5, -2}, 0.0, false, new SplittableRandom(1));
        assertThat(uniform.distribution()).containsExactly(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, within(1e-15));
        assertThat(uniform.kl()).isCloseTo(0.0, within(1e-15));
    }

    @Test
    void invalidInputsAreRejectedWithClearMessages() {
        assertThatThrownBy(() -> BlockwiseBestOfK.choose(new double[0], 1, true, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Blockwise best-of-K needs at least one candidate (rewards is empty)");
        assertThatThrownBy(() -> BlockwiseBestOfK.choose(new double[] {1, Double.NaN}, 1, true, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rewards[1] is NaN");
        assertThatThrownBy(() -> BlockwiseBestOfK.choose(new double[] {1}, Double.NaN, false, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beta must be finite, got NaN");
        assertThatThrownBy(() -> BlockwiseBestOfK.choose(new double[] {1e300}, 1e300, false, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows");
    }
}
