package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TransferQStarTest {

    @Test
    void directQIsTheRolloutRewardItself() {
        double[] r = {0.5, -1.25, 3};
        double[] q = TransferQStar.directQ(r);
        assertThat(q).containsExactly(0.5, -1.25, 3);
        q[0] = 99;
        assertThat(r[0]).isEqualTo(0.5); // a copy
    }

    @Test
    void indirectWeightsAreTheSelfNormalisedImportanceRatiosAndAverageOne() {
        SplittableRandom rnd = new SplittableRandom(73);
        for (int trial = 0; trial < 1_000; trial++) {
            int k = 1 + rnd.nextInt(12);
            double[] r = Candidates.gaussians(rnd, k, 2.0);
            double[] rBl = Candidates.gaussians(rnd, k, 2.0);
            double alpha = 0.2 + rnd.nextDouble() * 3;
            double[] w = TransferQStar.importanceWeights(r, rBl, alpha);
            double z = 0;
            for (int i = 0; i < k; i++) {
                z += Math.exp((r[i] - rBl[i]) / alpha);
            }
            double[] q = TransferQStar.indirectQ(r, rBl, alpha);
            double[] expectedW = new double[k];
            double[] expectedQ = new double[k];
            double mean = 0;
            for (int i = 0; i < k; i++) {
                expectedW[i] = k * Math.exp((r[i] - rBl[i]) / alpha) / z;
                expectedQ[i] = expectedW[i] * r[i];
                mean += w[i] / k;
            }
            assertThat(Candidates.maxAbsDiff(w, expectedW)).as("trial %d", trial).isLessThan(1e-12 * k);
            assertThat(Candidates.maxAbsDiff(q, expectedQ)).as("trial %d", trial).isLessThan(1e-11 * k);
            assertThat(Math.abs(mean - 1.0)).as("trial %d", trial).isLessThan(1e-12);
        }
    }

    @Test
    void equalRewardsGiveEqualWeightsSoIndirectIsDirect() {
        double[] r = {0.3, -2, 7, 1};
        assertThat(TransferQStar.importanceWeights(r, r, 0.5)).containsExactly(new double[] {1, 1, 1, 1}, within(1e-15));
        assertThat(TransferQStar.indirectQ(r, r, 0.5)).containsExactly(r, within(1e-15));
        double[] shifted = {1.3, -1, 8, 2}; // the same gap everywhere: the normaliser absorbs it
        assertThat(TransferQStar.importanceWeights(shifted, r, 0.01)).containsExactly(new double[] {1, 1, 1, 1},
                within(1e-12));
    }

    @Test
    void indirectQIsOverflowSafeWithHugeRewardGaps() {
        double[] r = {1e6, 0, -1e6, 1e6 - 1};
        double[] rBl = {0, 0, 0, 0};
        double[] w = TransferQStar.importanceWeights(r, rBl, 0.01); // exp(1e8) would overflow
        assertThat(Arrays.stream(w).allMatch(Double::isFinite)).isTrue();
        assertThat(w).containsExactly(new double[] {4, 0, 0, 0}, within(1e-12));
        double[] q = TransferQStar.indirectQ(r, rBl, 0.01);
        assertThat(q).containsExactly(new double[] {4e6, 0, 0, 0}, within(1e-6));
        double[] lowQ = TransferQStar.indirectQ(new double[] {-800, -801}, new double[] {0, 0}, 1.0);
        double e = Math.exp(-1); // exp(-800) underflows on its own; the weights are 2 / (1 + e) and 2e / (1 + e)
        assertThat(lowQ).containsExactly(new double[] {-800 * 2 / (1 + e), -801 * 2 * e / (1 + e)}, within(1e-9));
    }

    @Test
    void greedyRankingIsTheArgmaxOfLogPiRefPlusAlphaQ() {
        SplittableRandom rnd = new SplittableRandom(79);
        double[] alphas = {0.0, 0.5, 1.0, 2.0};
        for (int trial = 0; trial < 5_000; trial++) {
            int k = 1 + rnd.nextInt(10);
            boolean ties = trial % 2 == 0;
            double[] lp = ties ? Candidates.integers(rnd, k, 3) : Candidates.topKLogProbs(rnd, k);
            if (ties) {
                for (int i = 0; i < k; i++) {
                    lp[i] = -lp[i];
                }
            }
            double[] q = ties ? Candidates.integers(rnd, k, 4) : Candidates.gaussians(rnd, k, 1.0);
            double alpha = alphas[trial % alphas.length];
            double[] s = new double[k];
            for (int i = 0; i < k; i++) {
                s[i] = lp[i] + alpha * q[i];
            }
            StepChoice choice = TransferQStar.choose(lp, q, alpha, true, null);
            int expected = Candidates.firstMaximum(s);
            assertThat(choice.index()).as("trial %d", trial).isEqualTo(expected);
            assertThat(choice.kl()).isEqualTo(-lp[expected]);
        }
    }

    @Test
    void samplingFrequenciesMatchSoftmaxOfTheScore() {
        SplittableRandom rnd = new SplittableRandom(83);
        int k = 7;
        double[] lp = Candidates.topKLogProbs(rnd, k);
        double[] r = Candidates.gaussians(rnd, k, 1.0);
        double[] rBl = Candidates.gaussians(rnd, k, 1.0);
        double alpha = 1.5;
        double[] q = TransferQStar.indirectQ(r, rBl, alpha);
        long[] counts = ChiSquare.frequencies(k, 200_000, 4000,
                rng -> TransferQStar.choose(lp, q, alpha, false, rng).index());
        double[] expected = new double[k];
        double z = 0;
        for (int i = 0; i < k; i++) {
            expected[i] = Math.exp(lp[i] + alpha * q[i]);
            z += expected[i];
        }
        double kl = 0;
        for (int i = 0; i < k; i++) {
            expected[i] /= z;
            kl += expected[i] * Math.log(expected[i] / Math.exp(lp[i]));
        }
        ChiSquare.Result result = ChiSquare.test(counts, expected);
        assertThat(result.statistic()).as("%d dof", result.degreesOfFreedom()).isLessThan(result.critical());
        // negative control: the direct-transfer distribution (Q = r) is a different one and is rejected
        double[] direct = new double[k];
        double zd = 0;
        for (int i = 0; i < k; i++) {
            direct[i] = Math.exp(lp[i] + alpha * r[i]);
            zd += direct[i];
        }
        for (int i = 0; i < k; i++) {
            direct[i] /= zd;
        }
        assertThat(ChiSquare.test(counts, direct).rejects()).isTrue();
        assertThat(TransferQStar.choose(lp, q, alpha, false, new SplittableRandom(1)).kl()).isCloseTo(kl, within(1e-10));
    }

    @Test
    void invalidInputsAreRejectedWithClearMessages() {
        assertThatThrownBy(() -> TransferQStar.directQ(new double[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Transfer Q* needs at least one candidate");
        assertThatThrownBy(() -> TransferQStar.directQ(new double[] {Double.NaN}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rewards[0] is NaN");
        assertThatThrownBy(() -> TransferQStar.indirectQ(new double[] {1, 2}, new double[] {1}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 rewards but 1 baselineRewards");
        assertThatThrownBy(() -> TransferQStar.indirectQ(new double[] {1}, new double[] {1}, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alpha must be finite and > 0");
        assertThatThrownBy(() -> TransferQStar.indirectQ(new double[] {1}, new double[] {1}, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> TransferQStar.indirectQ(new double[] {1}, new double[] {Double.NEGATIVE_INFINITY}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baselineRewards[0] is -Infinity");
        assertThatThrownBy(() -> TransferQStar.indirectQ(new double[] {1e308}, new double[] {-1e308}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows");
        assertThatThrownBy(() -> TransferQStar.choose(new double[] {-1}, new double[] {1, 2}, 1, true, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 log-probabilities but 2 q");
        assertThatThrownBy(() -> TransferQStar.choose(new double[] {-1}, new double[] {1}, Double.NaN, true, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Transfer Q*: alpha must be finite");
    }
}
