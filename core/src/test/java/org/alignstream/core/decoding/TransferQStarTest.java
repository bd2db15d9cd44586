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

    /**
     * The reference code's indirect step (Transfer-Q {@code indirect.py}, {@code generate_step}) on four candidates:
     * {@code delta = rewards_2 - rewards_1; rewards = exp(0.5 * delta) * rewards_2;
     * new_scores = rewards * weight + prescreen_logits}, greedy {@code topk(new_scores, 1)}. Its 0.5 is
     * 1 / baseline_beta with baseline_beta 2; nothing is normalised across the candidates. The earlier
     * self-normalised weights ({@code k * softmax(delta / beta)}) scale every Q of the round by 4 / sum exp(0.5 delta)
     * = 0.206 here, and pick candidate 0 instead of 1.
     */
    @Test
    void indirectStepIsTheReferenceCodesArithmeticOnFourCandidates() {
        double[] vocabularyLogits = {2.0, 1.0, 0.0, -1.0, -3.0, -4.0}; // the four largest are the top-4
        double logZ = 0;
        for (double l : vocabularyLogits) {
            logZ += Math.exp(l);
        }
        logZ = Math.log(logZ);
        double[] prescreenLogits = {2.0, 1.0, 0.0, -1.0};
        double[] logProbRef = new double[4];
        for (int i = 0; i < 4; i++) {
            logProbRef[i] = prescreenLogits[i] - logZ;
        }
        double[] target = {0.2, 1.0, 0.5, -1.0};    // rewards_2: the target reward of each rollout
        double[] baseline = {-4.0, -2.0, -3.0, -1.0}; // rewards_1: the baseline's reward
        double weight = 1.0;                          // the reference's rm weight, alpha here
        double[] referenceScores = new double[4];
        double[] referenceQ = new double[4];
        for (int i = 0; i < 4; i++) {
            referenceQ[i] = Math.exp(0.5 * (target[i] - baseline[i])) * target[i];
            referenceScores[i] = referenceQ[i] * weight + prescreenLogits[i];
        }
        int referencePick = Candidates.firstMaximum(referenceScores);
        assertThat(referencePick).isEqualTo(1);

        double[] q = TransferQStar.indirectQ(target, baseline, 2.0);
        assertThat(q).containsExactly(referenceQ, within(1e-12));
        assertThat(TransferQStar.importanceWeights(target, baseline, 2.0)).containsExactly(new double[] {
                Math.exp(2.1), Math.exp(1.5), Math.exp(1.75), 1.0}, within(1e-12));
        StepChoice greedy = TransferQStar.choose(logProbRef, q, weight, true, null);
        assertThat(greedy.index()).isEqualTo(referencePick);

        // what cross-candidate normalisation did: the same Q scaled by 4 / sum of the weights, another pick
        double sum = Math.exp(2.1) + Math.exp(1.5) + Math.exp(1.75) + 1.0;
        double[] normalised = new double[4];
        for (int i = 0; i < 4; i++) {
            normalised[i] = referenceQ[i] * 4 / sum;
        }
        assertThat(TransferQStar.choose(logProbRef, normalised, weight, true, null).index()).isZero();
    }

    @Test
    void indirectWeightsAreTheImportanceRatiosEachOnItsOwn() {
        SplittableRandom rnd = new SplittableRandom(73);
        for (int trial = 0; trial < 1_000; trial++) {
            int k = 1 + rnd.nextInt(12);
            double[] r = Candidates.gaussians(rnd, k, 2.0);
            double[] rBl = Candidates.gaussians(rnd, k, 2.0);
            double betaBl = 0.2 + rnd.nextDouble() * 3;
            double[] w = TransferQStar.importanceWeights(r, rBl, betaBl);
            double[] q = TransferQStar.indirectQ(r, rBl, betaBl);
            for (int i = 0; i < k; i++) {
                double expectedW = Math.exp((r[i] - rBl[i]) / betaBl);
                assertThat(w[i]).as("trial %d", trial).isCloseTo(expectedW, within(1e-12 * expectedW));
                assertThat(q[i]).as("trial %d", trial).isCloseTo(expectedW * r[i], within(1e-11 * (1 + Math.abs(q[i]))));
                // a candidate's Q does not depend on the others
                double[] alone = TransferQStar.indirectQ(new double[] {r[i]}, new double[] {rBl[i]}, betaBl);
                assertThat(alone[0]).isEqualTo(q[i]);
            }
        }
    }

    @Test
    void equalRewardsGiveUnitWeightsSoIndirectIsDirect() {
        double[] r = {0.3, -2, 7, 1};
        assertThat(TransferQStar.importanceWeights(r, r, 0.5)).containsExactly(new double[] {1, 1, 1, 1}, within(1e-15));
        assertThat(TransferQStar.indirectQ(r, r, 0.5)).containsExactly(r, within(1e-15));
    }

    @Test
    void mRolloutsAreAveragedIntoQ() {
        double[][] r = {{1.0, 3.0, -1.0}, {0.5, 0.5, 0.5}};
        double[][] rBl = {{0.0, 1.0, 0.0}, {1.5, 0.5, -0.5}};
        assertThat(TransferQStar.directQ(r)).containsExactly(new double[] {1.0, 0.5}, within(1e-15));
        double beta = 2.0;
        double q0 = (Math.exp(0.5) * 1.0 + Math.exp(1.0) * 3.0 + Math.exp(-0.5) * -1.0) / 3;
        double q1 = (Math.exp(-0.5) * 0.5 + 0.5 + Math.exp(0.5) * 0.5) / 3;
        assertThat(TransferQStar.indirectQ(r, rBl, beta)).containsExactly(new double[] {q0, q1}, within(1e-12));
        // one rollout each is the one-rollout form
        assertThat(TransferQStar.indirectQ(new double[][] {{1.0}, {2.0}}, new double[][] {{0.0}, {3.0}}, beta))
                .containsExactly(TransferQStar.indirectQ(new double[] {1.0, 2.0}, new double[] {0.0, 3.0}, beta));
        assertThatThrownBy(() -> TransferQStar.directQ(new double[][] {{1.0, 2.0}, {1.0}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same number m >= 1 of rollouts");
        assertThatThrownBy(() -> TransferQStar.indirectQ(r, new double[][] {{1, 2, 3}, {1, 2}}, beta))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baselineRewards[1] has 2");
    }

    @Test
    void indirectQOverflowIsAClearError() {
        assertThatThrownBy(() -> TransferQStar.importanceWeights(new double[] {1e6}, new double[] {0}, 0.01))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows");
        double[] lowQ = TransferQStar.indirectQ(new double[] {-800, -801}, new double[] {0, 0}, 1.0);
        assertThat(lowQ).containsExactly(0.0, 0.0); // exp(-800) underflows to 0: a Q of 0, not an error
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
        double[] q = TransferQStar.indirectQ(r, rBl, 2.0);
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
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseline_beta must be finite and > 0");
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
