package org.alignstream.core.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BradleyTerryTest {

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        Random rnd = new Random(11);
        double[][] deltas = LogisticRegressionTest.gaussian(rnd, 25, 4);
        double[] w = {0.8, -0.3, 1.1, -2.0};
        double l2 = 0.1;
        double[] analytic = new double[4];
        BradleyTerry.lossAndGradient(w, deltas, l2, analytic);
        double h = 1e-6;
        for (int k = 0; k < w.length; k++) {
            double[] plus = w.clone();
            double[] minus = w.clone();
            plus[k] += h;
            minus[k] -= h;
            double numeric = (BradleyTerry.loss(plus, deltas, l2) - BradleyTerry.loss(minus, deltas, l2)) / (2 * h);
            assertThat(analytic[k]).as("dL/dw[%d]", k).isCloseTo(numeric, within(1e-7));
        }
    }

    @Test
    void lossEqualsBruteForceNegativeLogLikelihood() {
        double[][] chosen = {{1, 0}, {0, 2}};
        double[][] rejected = {{0, 1}, {1, 1}};
        double[] w = {0.5, -1};
        double expected = 0;
        for (int i = 0; i < 2; i++) {
            double rc = w[0] * chosen[i][0] + w[1] * chosen[i][1];
            double rr = w[0] * rejected[i][0] + w[1] * rejected[i][1];
            expected -= Math.log(1 / (1 + Math.exp(-(rc - rr))));
        }
        expected = expected / 2 + 0.5 * 0.3 * (0.25 + 1);
        double[][] deltas = BradleyTerry.differences(chosen, rejected);
        assertThat(BradleyTerry.loss(w, deltas, 0.3)).isCloseTo(expected, within(1e-12));
    }

    @Test
    void fitRecoversKnownRewardDirection() {
        Random rnd = new Random(13);
        double[] trueW = {1.5, 0.0, -2.0, 1.0};
        int n = 3000;
        double[][] chosen = new double[n][];
        double[][] rejected = new double[n][];
        for (int i = 0; i < n; i++) {
            double[] a = LogisticRegressionTest.gaussian(rnd, 1, 4)[0];
            double[] b = LogisticRegressionTest.gaussian(rnd, 1, 4)[0];
            double pA = Logistic.sigmoid(Lbfgs.dot(trueW, a) - Lbfgs.dot(trueW, b));
            boolean aWins = rnd.nextDouble() < pA;
            chosen[i] = aWins ? a : b;
            rejected[i] = aWins ? b : a;
        }
        BradleyTerry model = BradleyTerry.fit(chosen, rejected, 1e-6);
        assertThat(model.converged()).isTrue();
        assertThat(LogisticRegressionTest.cosine(model.weights(), trueW)).isGreaterThan(0.99);
        assertThat(model.weights()[2]).isCloseTo(-2.0, within(0.25));
        double[] history = model.lossHistory();
        for (int i = 1; i < history.length; i++) {
            assertThat(history[i]).isLessThanOrEqualTo(history[i - 1]);
        }
        assertThat(history[history.length - 1]).isLessThan(history[0]);
        assertThat(model.pairwiseAccuracy(chosen, rejected)).isGreaterThan(0.8);
    }

    @Test
    void predictIsAntisymmetric() {
        BradleyTerry model = new BradleyTerry(new double[] {1, 2});
        double[] a = {0.5, 1};
        double[] b = {1, -1};
        assertThat(model.reward(a)).isCloseTo(2.5, within(1e-12));
        assertThat(model.predict(a, b)).isCloseTo(1 / (1 + Math.exp(-(2.5 - -1))), within(1e-12));
        assertThat(model.predict(a, b) + model.predict(b, a)).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void rejectsMismatchedPairs() {
        assertThatThrownBy(() -> BradleyTerry.fit(new double[][] {{1, 2}}, new double[][] {{1, 2}, {3, 4}}, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chosen has 1 rows but rejected has 2");
        assertThatThrownBy(() -> BradleyTerry.fit(new double[][] {{1, 2}}, new double[][] {{1}}, 0))
                .hasMessageContaining("chosen has 2 features but rejected has 1");
    }

    @Test
    void fitAroundAPriorStaysAtThePriorWithoutEvidenceAndMovesWithIt() {
        double[] prior = {1.0, -0.5, 0.25};
        // pairs that say feature 1 is good (the prior says bad)
        Random rnd = new Random(5);
        int n = 400;
        double[][] chosen = new double[n][3];
        double[][] rejected = new double[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) {
                chosen[i][j] = rnd.nextGaussian();
                rejected[i][j] = rnd.nextGaussian();
            }
            if (chosen[i][1] < rejected[i][1]) {
                double[] t = chosen[i];
                chosen[i] = rejected[i];
                rejected[i] = t;
            }
        }
        // a huge l2 pins the weights to the prior; a small one lets the data flip the sign of w[1]
        BradleyTerry pinned = BradleyTerry.fitAround(prior, chosen, rejected, 1e6);
        assertThat(pinned.weights()).containsExactly(new double[] {1.0, -0.5, 0.25}, within(1e-3));
        BradleyTerry moved = BradleyTerry.fitAround(prior, chosen, rejected, 1e-3);
        assertThat(moved.weights()[1]).isGreaterThan(1.0);
        assertThat(moved.pairwiseAccuracy(chosen, rejected)).isGreaterThan(0.95);
        // it minimises the prior-centred objective: no coordinate step improves it
        double base = aroundLoss(moved.weights(), prior, chosen, rejected, 1e-3);
        for (int j = 0; j < 3; j++) {
            for (double step : new double[] {1e-3, -1e-3}) {
                double[] w = moved.weights();
                w[j] += step;
                assertThat(aroundLoss(w, prior, chosen, rejected, 1e-3)).isGreaterThanOrEqualTo(base - 1e-9);
            }
        }
    }

    private static double aroundLoss(double[] w, double[] prior, double[][] chosen, double[][] rejected, double l2) {
        double loss = 0;
        for (int i = 0; i < chosen.length; i++) {
            double margin = 0;
            for (int j = 0; j < w.length; j++) {
                margin += w[j] * (chosen[i][j] - rejected[i][j]);
            }
            loss += Math.log1p(Math.exp(-margin));
        }
        double penalty = 0;
        for (int j = 0; j < w.length; j++) {
            penalty += (w[j] - prior[j]) * (w[j] - prior[j]);
        }
        return loss / chosen.length + 0.5 * l2 * penalty;
    }
}
