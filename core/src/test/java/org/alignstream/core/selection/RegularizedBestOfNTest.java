package org.alignstream.core.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RegularizedBestOfNTest {

    /** Brute force: evaluate the formula for every candidate, keep the first strictly larger value (NaN never wins). */
    private static int exhaustiveArgmax(double[] objective) {
        int best = -1;
        for (int i = 0; i < objective.length; i++) {
            if (Double.isNaN(objective[i])) {
                continue;
            }
            if (best < 0 || objective[i] > objective[best]) {
                best = i;
            }
        }
        return best < 0 ? 0 : best;
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        assertThat(a.length).isEqualTo(b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Double.isNaN(a[i] - b[i]) ? Double.POSITIVE_INFINITY : Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static double[] referenceKl(double[] r, double[] lp, double beta) {
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            out[i] = r[i] + beta * lp[i];
        }
        return out;
    }

    /** Cosine computed directly from its definition: dot / (|a| |b|), each norm from its own loop. */
    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int d = 0; d < a.length; d++) {
            dot += (double) a[d] * b[d];
        }
        for (float x : a) {
            na += (double) x * x;
        }
        for (float x : b) {
            nb += (double) x * x;
        }
        return dot / (Math.sqrt(na) * Math.sqrt(nb));
    }

    private static double[] referenceWd(double[] r, float[][] e, double beta) {
        int n = r.length;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double wd = 0;
            for (int j = 0; j < n; j++) {
                wd += 1 - cosine(e[i], e[j]);
            }
            out[i] = r[i] - beta * wd / n;
        }
        return out;
    }

    @Test
    void rbonKlChoosesWhatExhaustiveEvaluationChoosesIncludingTies() {
        Random rnd = new Random(17);
        double[] betas = {0.0, 0.5, 1.0, 2.0, 0.1, 5.0};
        int tiedTrials = 0;
        for (int trial = 0; trial < 5_000; trial++) {
            int n = 1 + rnd.nextInt(16);
            double beta = betas[trial % betas.length];
            boolean ties = trial % 2 == 0;
            double[] r = new double[n];
            double[] lp = new double[n];
            for (int i = 0; i < n; i++) {
                // integers and halves: r + beta * lp is exact in binary floating point, so ties are exact ties
                r[i] = ties ? rnd.nextInt(4) : rnd.nextGaussian();
                lp[i] = ties ? -2.0 * rnd.nextInt(4) : -20.0 * rnd.nextDouble();
            }
            double[] expected = referenceKl(r, lp, beta);
            int choice = RegularizedBestOfN.selectKl(r, lp, beta);
            assertThat(choice).as("trial %d", trial).isEqualTo(exhaustiveArgmax(expected));
            assertThat(maxAbsDiff(RegularizedBestOfN.klObjective(r, lp, beta), expected)).isLessThan(1e-12);
            double max = expected[exhaustiveArgmax(expected)];
            if (java.util.Arrays.stream(expected).filter(v -> v == max).count() > 1) {
                tiedTrials++;
            }
        }
        assertThat(tiedTrials).isGreaterThan(100);
    }

    @Test
    void rbonKlTiesGoToTheLowestIndex() {
        // 1 + 0.5 * -2 = 0 = 0 + 0.5 * 0: candidates 1 and 2 tie above candidate 0
        assertThat(RegularizedBestOfN.selectKl(new double[] {-1, 1, 0}, new double[] {0, -2, 0}, 0.5)).isEqualTo(1);
        assertThat(RegularizedBestOfN.selectKl(new double[] {-1, 0, 1}, new double[] {0, 0, -2}, 0.5)).isEqualTo(1);
    }

    @Test
    void betaZeroIsBestOfN() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 1_000; trial++) {
            int n = 1 + rnd.nextInt(12);
            double[] r = new double[n];
            double[] lp = new double[n];
            float[][] e = new float[n][];
            for (int i = 0; i < n; i++) {
                r[i] = rnd.nextInt(3) + (rnd.nextBoolean() ? 0 : rnd.nextDouble());
                lp[i] = rnd.nextInt(10) == 0 ? Double.NEGATIVE_INFINITY : -30 * rnd.nextDouble();
                e[i] = randomEmbedding(rnd, 8);
            }
            assertThat(RegularizedBestOfN.selectKl(r, lp, 0.0)).isEqualTo(BestOfN.select(r));
            assertThat(RegularizedBestOfN.selectWasserstein(r, e, 0.0)).isEqualTo(BestOfN.select(r));
        }
    }

    @Test
    void rbonKlRegularisationCanOverturnTheHighestReward() {
        double[] r = {1.0, 0.9};
        double[] lp = {-50.0, -10.0}; // the highest-reward candidate is very unlikely under pi_ref
        assertThat(RegularizedBestOfN.selectKl(r, lp, 0.0)).isZero();
        assertThat(RegularizedBestOfN.selectKl(r, lp, 0.01)).isOne();
    }

    private static float[] randomEmbedding(Random rnd, int d) {
        float[] e = new float[d];
        do {
            for (int k = 0; k < d; k++) {
                e[k] = (float) (rnd.nextGaussian() * (1 + rnd.nextInt(3)));
            }
        } while (isZero(e));
        return e;
    }

    private static boolean isZero(float[] e) {
        for (float x : e) {
            if (x != 0f) {
                return false;
            }
        }
        return true;
    }

    @Test
    void rbonWdChoosesWhatExhaustiveEvaluationChoosesIncludingTies() {
        Random rnd = new Random(23);
        double[] betas = {0.0, 0.3, 1.0, 3.0, 10.0};
        for (int trial = 0; trial < 3_000; trial++) {
            int n = 1 + rnd.nextInt(12);
            int d = 1 + rnd.nextInt(16);
            double beta = betas[trial % betas.length];
            double[] r = new double[n];
            float[][] e = new float[n][];
            for (int i = 0; i < n; i++) {
                if (i > 0 && trial % 3 == 0 && rnd.nextInt(3) == 0) {
                    int copy = rnd.nextInt(i); // a duplicate candidate: same text, same reward, exact tie
                    r[i] = r[copy];
                    e[i] = e[copy].clone();
                } else {
                    r[i] = rnd.nextGaussian() * 0.5;
                    e[i] = randomEmbedding(rnd, d);
                }
            }
            double[] expected = referenceWd(r, e, beta);
            assertThat(RegularizedBestOfN.selectWasserstein(r, e, beta)).as("trial %d", trial)
                    .isEqualTo(exhaustiveArgmax(expected));
            assertThat(maxAbsDiff(RegularizedBestOfN.wassersteinObjective(r, e, beta), expected)).isLessThan(1e-9);
        }
    }

    @Test
    void rbonWdDoesNotAssumeNormalisedEmbeddingsAndPrefersTheCentralCandidate() {
        // three candidates with equal rewards: two near each other, one far; scaling an embedding changes nothing
        float[][] e = {{1, 0}, {100, 10}, {0, 0.001f}};
        double[] r = {0, 0, 0};
        double[] objective = RegularizedBestOfN.wassersteinObjective(r, e, 1.0);
        float[][] scaled = {{1000, 0}, {1, 0.1f}, {0, 5}};
        assertThat(RegularizedBestOfN.wassersteinObjective(r, scaled, 1.0)).containsExactly(objective, within(1e-6));
        double c01 = 1 - 100 / Math.hypot(100, 10);
        double c12 = 1 - 10 / Math.hypot(100, 10);
        assertThat(objective).containsExactly(new double[] {-(c01 + 1) / 3, -(c01 + c12) / 3, -(1 + c12) / 3},
                within(1e-7));
        assertThat(RegularizedBestOfN.selectWasserstein(r, e, 1.0)).isEqualTo(1);
        assertThat(RegularizedBestOfN.selectWasserstein(new double[] {0, 0, 0.5}, e, 1.0)).isEqualTo(2);
    }

    @Test
    void nanObjectiveNeverWins() {
        assertThat(RegularizedBestOfN.selectKl(new double[] {Double.NaN, -5}, new double[] {0, -1}, 1)).isEqualTo(1);
        assertThat(RegularizedBestOfN.selectKl(new double[] {3, 1}, new double[] {Double.NaN, -1}, 1)).isEqualTo(1);
        assertThat(RegularizedBestOfN.selectWasserstein(new double[] {Double.NaN, -5}, new float[][] {{1}, {1}}, 1))
                .isEqualTo(1);
    }

    @Test
    void invalidInputsAreRejectedWithClearMessages() {
        assertThatThrownBy(() -> RegularizedBestOfN.selectKl(new double[0], new double[0], 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one candidate");
        assertThatThrownBy(() -> RegularizedBestOfN.selectKl(null, new double[0], 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one candidate");
        assertThatThrownBy(() -> RegularizedBestOfN.selectKl(new double[] {1, 2}, new double[] {-1}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 rewards but 1 log-probabilities");
        assertThatThrownBy(() -> RegularizedBestOfN.selectKl(new double[] {1}, new double[] {-1}, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beta must be finite, got NaN");
        assertThatThrownBy(() -> RegularizedBestOfN.klObjective(new double[] {1}, new double[] {0.5}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logProbRef[0] is 0.5");
        float[][] ok = {{1, 0}, {0, 1}};
        assertThatThrownBy(() -> RegularizedBestOfN.selectWasserstein(new double[] {1, 2}, ok,
                Double.POSITIVE_INFINITY)).hasMessageContaining("beta must be finite, got Infinity");
        assertThatThrownBy(() -> RegularizedBestOfN.selectWasserstein(new double[] {1, 2, 3}, ok, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 rewards but 2 embeddings");
        assertThatThrownBy(() -> RegularizedBestOfN.selectWasserstein(new double[] {1, 2}, new float[][] {{1, 0}, {1}}, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("embeddings[1] has dimension 1 but embeddings[0] has 2");
        assertThatThrownBy(() -> RegularizedBestOfN.selectWasserstein(new double[] {1}, new float[][] {{}}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-zero dimension");
        assertThatThrownBy(() -> RegularizedBestOfN.selectWasserstein(new double[] {1, 2}, new float[][] {{1, 0}, {0, 0}}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("embeddings[1] is the zero vector");
        assertThatThrownBy(() -> RegularizedBestOfN.selectWasserstein(new double[] {1}, new float[][] {{Float.NaN}}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("embeddings[0][0] is NaN");
    }
}
