package org.alignstream.core.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CandidateChoiceKlTest {

    @Test
    void nIdenticalCandidatesHaveNoKlNotTheBoundsFigure() {
        // temperature 0: the generator draws the same greedy text four times
        List<List<Integer>> tokens = List.of(List.of(5, 9, 2), List.of(5, 9, 2), List.of(5, 9, 2), List.of(5, 9, 2));
        int[] first = CandidateChoiceKl.firstOccurrence(tokens);
        assertThat(first).containsExactly(0, 0, 0, 0);
        assertThat(CandidateChoiceKl.distinct(first)).isEqualTo(1);
        double kl = CandidateChoiceKl.bestOfN(new double[] {0.7, 0.7, 0.7, 0.7}, new double[] {-1.2, -1.2, -1.2, -1.2},
                first);
        assertThat(kl).isZero();
        assertThat(BestOfN.klEstimate(4)).isCloseTo(0.636, within(1e-3)); // what used to be reported
    }

    /**
     * Brute force: every ordered N-tuple of draws from q over the distinct candidates, Best-of-N by score with the
     * lowest index in the tuple winning ties, the choice's distribution and its KL from q.
     */
    private static double bruteForce(double[] score, double[] q, int n) {
        int d = q.length;
        double[] p = new double[d];
        int[] tuple = new int[n];
        int total = (int) Math.pow(d, n);
        for (int code = 0; code < total; code++) {
            int c = code;
            double prob = 1;
            for (int t = 0; t < n; t++) {
                tuple[t] = c % d;
                c /= d;
                prob *= q[tuple[t]];
            }
            int best = tuple[0];
            for (int t = 1; t < n; t++) {
                if (score[tuple[t]] > score[best]) {
                    best = tuple[t];
                }
            }
            p[best] += prob;
        }
        double kl = 0;
        for (int j = 0; j < d; j++) {
            if (p[j] > 0) {
                kl += p[j] * Math.log(p[j] / q[j]);
            }
        }
        return kl;
    }

    @Test
    void theClosedFormIsBestOfNOverTheDistinctCandidatesByBruteForce() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 300; trial++) {
            int d = 1 + rnd.nextInt(4);
            int extra = rnd.nextInt(3); // duplicates drawn on top of the distinct ones
            int n = d + extra;
            double[] distinctScore = new double[d];
            double[] distinctLp = new double[d];
            for (int j = 0; j < d; j++) {
                distinctScore[j] = rnd.nextGaussian(); // continuous: no ties
                distinctLp[j] = -0.1 - 6 * rnd.nextDouble();
            }
            // the N candidates: each distinct one once, then duplicates of random ones
            int[] which = new int[n];
            for (int i = 0; i < n; i++) {
                which[i] = i < d ? i : rnd.nextInt(d);
            }
            double[] score = new double[n];
            double[] lp = new double[n];
            List<List<Integer>> tokens = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                score[i] = distinctScore[which[i]];
                lp[i] = distinctLp[which[i]];
                tokens.add(List.of(100 + which[i], 7));
            }
            double z = 0;
            for (double l : distinctLp) {
                z += Math.exp(l);
            }
            double[] q = new double[d];
            for (int j = 0; j < d; j++) {
                q[j] = Math.exp(distinctLp[j]) / z;
            }
            double expected = bruteForce(distinctScore, q, n);
            double kl = CandidateChoiceKl.bestOfN(score, lp, CandidateChoiceKl.firstOccurrence(tokens));
            assertThat(kl).as("trial %d", trial).isCloseTo(expected, within(1e-12));
            assertThat(kl).as("trial %d: below Best-of-N's bound", trial)
                    .isLessThanOrEqualTo(BestOfN.klEstimate(n) + 1e-12);
        }
    }

    @Test
    void tinyReferenceProbabilitiesLoseNoPrecision() {
        // sequence log-probabilities far apart: q of the unlikely candidate is ~e^-60
        double kl = CandidateChoiceKl.bestOfN(new double[] {0.0, 1.0}, new double[] {-10, -70}, new int[] {0, 1});
        // q1 = e^-60 / (1 + e^-60); P1 = 2 q1 - q1^2, P0 = (1 - q1)^2; to first order in q1:
        // KL = P0 log(P0 / q0) + P1 log(P1 / q1) = -q1 + 2 q1 log 2
        double q1 = Math.exp(-60);
        double expected = q1 * (2 * Math.log(2) - 1);
        assertThat(kl).isCloseTo(expected, within(expected * 1e-9));
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> CandidateChoiceKl.bestOfN(new double[0], new double[0], new int[0]))
                .isInstanceOf(IllegalArgumentException.class);
        // a NaN score ranks lowest, as Best-of-N's selection treats it: the same figure as -infinity
        assertThat(CandidateChoiceKl.bestOfN(new double[] {Double.NaN, 1}, new double[] {-1, -2}, new int[] {0, 1}))
                .isEqualTo(CandidateChoiceKl.bestOfN(new double[] {-1e300, 1}, new double[] {-1, -2}, new int[] {0, 1}));
        assertThatThrownBy(() -> CandidateChoiceKl.bestOfN(new double[] {1}, new double[] {0.5}, new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logProbRef[0]");
        assertThatThrownBy(() -> CandidateChoiceKl.bestOfN(new double[] {1, 2}, new double[] {-1, -1}, new int[] {0, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("firstOccurrence[1]");
    }

    @Test
    void theFigureDescribesTheChoiceOnlyWhenTheDistinctCandidatesHoldHalfTheMassOrAreOneText() {
        int[] distinct = {0, 1, 2};
        int[] copies = {0, 0, 2};
        double[] likely = {Math.log(0.3), Math.log(0.2), Math.log(0.1)};
        assertThat(CandidateChoiceKl.coveredMass(likely, distinct)).isCloseTo(0.6, within(1e-12));
        assertThat(CandidateChoiceKl.describesTheChoice(likely, distinct)).isTrue();
        // a duplicate counts once: 0.3 + 0.1
        assertThat(CandidateChoiceKl.coveredMass(likely, copies)).isCloseTo(0.4, within(1e-12));
        assertThat(CandidateChoiceKl.describesTheChoice(likely, copies)).isFalse();
        double[] improbable = {-21, -22, -23};
        assertThat(CandidateChoiceKl.describesTheChoice(improbable, distinct)).isFalse();
        assertThat(CandidateChoiceKl.describesTheChoice(improbable, new int[] {0, 0, 0})).isTrue();
    }
}
