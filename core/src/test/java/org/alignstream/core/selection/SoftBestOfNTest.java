package org.alignstream.core.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.alignstream.core.decoding.ChiSquare;
import org.junit.jupiter.api.Test;

class SoftBestOfNTest {

    /** exp(R_i / lambda) / sum_j exp(R_j / lambda), written out directly (only for moderate R / lambda). */
    private static double[] naiveSoftmax(double[] rewards, double lambda) {
        double[] w = new double[rewards.length];
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.exp(rewards[i] / lambda);
            sum += w[i];
        }
        for (int i = 0; i < w.length; i++) {
            w[i] /= sum;
        }
        return w;
    }

    @Test
    void samplingFrequenciesMatchTheSoftmaxOfRewardOverLambda() {
        double[] rewards = {0.3, -1.1, 0.9, 0.2, 0.9, -0.4};
        for (double lambda : new double[] {0.25, 1.0, 3.0}) {
            double[] expected = naiveSoftmax(rewards, lambda);
            assertThat(SoftBestOfN.probabilities(rewards, lambda)).containsExactly(expected, within(1e-12));
            long[] counts = ChiSquare.frequencies(rewards.length, 60_000, 17L + (long) (lambda * 100),
                    rng -> SoftBestOfN.select(rewards, lambda, rng));
            ChiSquare.Result result = ChiSquare.test(counts, expected);
            assertThat(result.rejects()).as("lambda %s: chi2 %s > %s", lambda, result.statistic(), result.critical())
                    .isFalse();
        }
    }

    @Test
    void aWrongDistributionIsRejectedByTheSameTest() {
        double[] rewards = {0.3, -1.1, 0.9, 0.2};
        long[] counts = ChiSquare.frequencies(rewards.length, 60_000, 5L, rng -> SoftBestOfN.select(rewards, 1.0, rng));
        // the temperature inverted (exp(R * lambda) at lambda 0.5) must not pass for the real choice
        assertThat(ChiSquare.test(counts, naiveSoftmax(rewards, 2.0)).rejects()).isTrue();
    }

    @Test
    void lambdaZeroIsBestOfNAndATinyLambdaPicksBestOfNsCandidate() {
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(8);
            double[] rewards = new double[n];
            for (int i = 0; i < n; i++) {
                rewards[i] = r.nextGaussian();
            }
            int best = BestOfN.select(rewards);
            assertThat(SoftBestOfN.select(rewards, 0.0, null)).isEqualTo(best);
            assertThat(SoftBestOfN.probabilities(rewards, 0.0)[best]).isEqualTo(1.0);
            // distinct Gaussian rewards: at lambda 1e-9 every other candidate has probability exp(-gap / 1e-9) = 0
            assertThat(SoftBestOfN.select(rewards, 1e-9, new SplittableRandom(trial))).isEqualTo(best);
            assertThat(SoftBestOfN.select(rewards, Double.MIN_VALUE, new SplittableRandom(trial))).isEqualTo(best);
        }
        // ties at lambda 0 go to the lowest index, as Best-of-N's
        assertThat(SoftBestOfN.select(new double[] {0.1, 0.5, 0.5}, 0.0, null)).isEqualTo(1);
    }

    @Test
    void aLargeLambdaApproachesTheUniformChoiceAndItsKlVanishes() {
        double[] rewards = {2.0, -3.0, 0.5, 1.0};
        int[] first = {0, 1, 2, 3};
        double previousKl = Double.POSITIVE_INFINITY;
        for (double lambda : new double[] {0.1, 1.0, 10.0, 1e3, 1e6}) {
            double kl = SoftBestOfN.kl(rewards, lambda, first);
            assertThat(kl).isLessThan(previousKl).isLessThanOrEqualTo(Math.log(4) + 1e-12);
            previousKl = kl;
        }
        assertThat(SoftBestOfN.probabilities(rewards, 1e6)).containsExactly(new double[] {.25, .25, .25, .25},
                within(1e-5));
        assertThat(previousKl).isLessThan(1e-10);
        // lambda 0 with distinct candidates: a point mass, KL log N
        assertThat(SoftBestOfN.kl(rewards, 0.0, first)).isCloseTo(Math.log(4), within(1e-12));
    }

    /** KL over distinct texts by a map from text to (chosen mass, count), from the naive softmax. */
    private static double bruteForceKl(List<List<Integer>> texts, double[] rewards, double lambda) {
        double[] p = naiveSoftmax(rewards, lambda);
        Map<List<Integer>, double[]> byText = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            double[] massCount = byText.computeIfAbsent(texts.get(i), t -> new double[2]);
            massCount[0] += p[i];
            massCount[1] += 1;
        }
        double kl = 0;
        for (double[] mc : byText.values()) {
            kl += mc[0] * Math.log(mc[0] / (mc[1] / texts.size()));
        }
        return kl;
    }

    @Test
    void theKlEqualsABruteForceOverDistinctTextsWithDuplicates() {
        List<List<Integer>> texts = List.of(List.of(1, 2), List.of(3), List.of(1, 2), List.of(4, 4), List.of(3),
                List.of(1, 2));
        double[] rewards = {0.8, -0.2, 0.8, 1.5, -0.2, 0.8}; // one text, one reward
        int[] first = CandidateChoiceKl.firstOccurrence(texts);
        for (double lambda : new double[] {0.05, 0.5, 2.0, 50.0}) {
            assertThat(SoftBestOfN.kl(rewards, lambda, first)).as("lambda %s", lambda)
                    .isCloseTo(bruteForceKl(texts, rewards, lambda), within(1e-12));
        }
    }

    @Test
    void nIdenticalCandidatesHaveNoKlAtAnyLambda() {
        List<List<Integer>> texts = List.of(List.of(7, 8), List.of(7, 8), List.of(7, 8), List.of(7, 8));
        int[] first = CandidateChoiceKl.firstOccurrence(texts);
        for (double lambda : new double[] {0.0, 1e-6, 1.0, 100.0}) {
            assertThat(SoftBestOfN.kl(new double[] {0.4, 0.4, 0.4, 0.4}, lambda, first)).isZero();
        }
    }

    /**
     * The claim of {@code KlKind.ONE_SAMPLE_UPPER_BOUND}: over every N-tuple of draws from q, the expected figure is at
     * least the exact KL of the soft choice's marginal distribution from q (brute-force enumeration).
     */
    @Test
    void theExpectedFigureBoundsTheExactKlOfTheMarginalChoice() {
        double[] q = {0.5, 0.3, 0.15, 0.05};
        double[] reward = {-0.5, 0.4, 1.0, 2.0};
        int d = q.length;
        for (int n : new int[] {1, 2, 3, 4}) {
            for (double lambda : new double[] {0.0, 0.3, 1.0, 5.0}) {
                double[] marginal = new double[d];
                double expectedFigure = 0;
                int total = (int) Math.pow(d, n);
                int[] tuple = new int[n];
                for (int code = 0; code < total; code++) {
                    int c = code;
                    double prob = 1;
                    List<List<Integer>> texts = new java.util.ArrayList<>();
                    double[] rewards = new double[n];
                    for (int t = 0; t < n; t++) {
                        tuple[t] = c % d;
                        c /= d;
                        prob *= q[tuple[t]];
                        texts.add(List.of(tuple[t]));
                        rewards[t] = reward[tuple[t]];
                    }
                    double[] p = SoftBestOfN.probabilities(rewards, lambda);
                    for (int t = 0; t < n; t++) {
                        marginal[tuple[t]] += prob * p[t];
                    }
                    expectedFigure += prob * SoftBestOfN.kl(rewards, lambda, CandidateChoiceKl.firstOccurrence(texts));
                }
                double exact = 0;
                for (int j = 0; j < d; j++) {
                    if (marginal[j] > 0) {
                        exact += marginal[j] * Math.log(marginal[j] / q[j]);
                    }
                }
                assertThat(expectedFigure).as("n %d lambda %s", n, lambda).isGreaterThanOrEqualTo(exact - 1e-12);
                if (n == 1) {
                    assertThat(exact).isCloseTo(0.0, within(1e-12));
                }
            }
        }
    }

    @Test
    void badInputIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> SoftBestOfN.select(new double[0], 1.0, new SplittableRandom(1)))
                .hasMessageContaining("at least one candidate");
        assertThatThrownBy(() -> SoftBestOfN.select(new double[] {1, Double.NaN}, 1.0, new SplittableRandom(1)))
                .hasMessageContaining("rewards[1] is NaN");
        assertThatThrownBy(() -> SoftBestOfN.probabilities(new double[] {1}, -0.5))
                .hasMessageContaining("lambda (beta) finite and >= 0, was -0.5");
        assertThatThrownBy(() -> SoftBestOfN.select(new double[] {1, 2}, 1.0, null))
                .hasMessageContaining("needs a random generator");
        assertThatThrownBy(() -> SoftBestOfN.kl(new double[] {1, 2}, 1.0, new int[] {0, 2}))
                .hasMessageContaining("firstOccurrence[1] = 2");
    }
}
