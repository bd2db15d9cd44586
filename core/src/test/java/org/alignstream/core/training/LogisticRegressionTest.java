package org.alignstream.core.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        Random rnd = new Random(1);
        double[][] x = gaussian(rnd, 30, 4);
        int[] y = new int[30];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextBoolean() ? 1 : 0;
        }
        double[] params = {0.3, -1.2, 0.7, 2.0, -0.4};
        double l2 = 0.05;
        double[] analytic = new double[params.length];
        LogisticRegression.lossAndGradient(params, x, y, l2, analytic);
        double h = 1e-6;
        for (int k = 0; k < params.length; k++) {
            double[] plus = params.clone();
            double[] minus = params.clone();
            plus[k] += h;
            minus[k] -= h;
            double numeric = (LogisticRegression.loss(plus, x, y, l2) - LogisticRegression.loss(minus, x, y, l2)) / (2 * h);
            assertThat(analytic[k]).as("dL/dparam[%d]", k).isCloseTo(numeric, within(1e-7));
        }
    }

    @Test
    void lossEqualsBruteForceNegativeLogLikelihood() {
        double[][] x = {{1, 2}, {-1, 0.5}, {0, -3}};
        int[] y = {1, 0, 1};
        double[] params = {0.5, -0.25, 0.1};
        double l2 = 0.2;
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double z = params[0] * x[i][0] + params[1] * x[i][1] + params[2];
            double p = 1 / (1 + Math.exp(-z));
            expected -= y[i] == 1 ? Math.log(p) : Math.log(1 - p);
        }
        expected = expected / 3 + 0.5 * l2 * (0.25 + 0.0625);
        assertThat(LogisticRegression.loss(params, x, y, l2)).isCloseTo(expected, within(1e-12));
    }

    @Test
    void fitRecoversKnownDirectionAndBias() {
        Random rnd = new Random(7);
        double[] trueW = {2.0, -1.0, 0.0, 0.5, 1.5};
        double trueB = -0.5;
        int n = 4000;
        double[][] x = gaussian(rnd, n, trueW.length);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double p = Logistic.sigmoid(Lbfgs.dot(trueW, x[i]) + trueB);
            y[i] = rnd.nextDouble() < p ? 1 : 0;
        }
        LogisticRegression model = LogisticRegression.fit(x, y, 1e-6);
        assertThat(model.converged()).isTrue();
        assertThat(cosine(model.weights(), trueW)).isGreaterThan(0.99);
        assertThat(model.bias()).isCloseTo(trueB, within(0.2));
        assertThat(model.weights()[0]).isCloseTo(2.0, within(0.25));
        // at the optimum the gradient vanishes
        double[] params = new double[trueW.length + 1];
        System.arraycopy(model.weights(), 0, params, 0, trueW.length);
        params[trueW.length] = model.bias();
        double[] gradient = new double[params.length];
        LogisticRegression.lossAndGradient(params, x, y, 1e-6, gradient);
        for (double g : gradient) {
            assertThat(Math.abs(g)).isLessThan(1e-5);
        }
    }

    @Test
    void lossDecreasesMonotonicallyDuringFit() {
        Random rnd = new Random(3);
        double[][] x = gaussian(rnd, 200, 3);
        int[] y = new int[200];
        for (int i = 0; i < y.length; i++) {
            y[i] = x[i][0] + 0.3 * rnd.nextGaussian() > 0 ? 1 : 0;
        }
        LogisticRegression model = LogisticRegression.fit(x, y, 0.01);
        double[] history = model.lossHistory();
        assertThat(history.length).isGreaterThan(2);
        assertThat(history[0]).isCloseTo(Math.log(2), within(1e-12)); // all-zero start
        for (int i = 1; i < history.length; i++) {
            assertThat(history[i]).isLessThanOrEqualTo(history[i - 1]);
        }
        assertThat(history[history.length - 1]).isLessThan(0.5 * history[0]);
        assertThat(model.accuracy(x, y)).isGreaterThan(0.85);
    }

    @Test
    void strongerL2GivesSmallerWeights() {
        Random rnd = new Random(5);
        double[][] x = gaussian(rnd, 300, 3);
        int[] y = new int[300];
        for (int i = 0; i < y.length; i++) {
            y[i] = x[i][1] > 0 ? 1 : 0;
        }
        double weak = norm(LogisticRegression.fit(x, y, 1e-3).weights());
        double strong = norm(LogisticRegression.fit(x, y, 1.0).weights());
        assertThat(strong).isLessThan(weak);
    }

    @Test
    void predictionsFollowTheLogit() {
        LogisticRegression model = new LogisticRegression(new double[] {1, -2}, 0.5);
        assertThat(model.logit(new double[] {1, 1})).isCloseTo(-0.5, within(1e-12));
        assertThat(model.probability(new double[] {1, 1})).isCloseTo(1 / (1 + Math.exp(0.5)), within(1e-12));
        assertThat(model.predict(new double[][] {{1, 1}, {3, 0}})).containsExactly(0, 1);
    }

    @Test
    void rejectsBadInput() {
        double[][] x = {{1, 2}, {3, 4}};
        assertThatThrownBy(() -> LogisticRegression.fit(x, new int[] {0, 2}, 0.1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y[1] = 2 is not 0 or 1");
        assertThatThrownBy(() -> LogisticRegression.fit(x, new int[] {0}, 0.1))
                .hasMessageContaining("1 labels but x has 2 rows");
        assertThatThrownBy(() -> LogisticRegression.fit(new double[][] {{1, 2}, {3}}, new int[] {0, 1}, 0.1))
                .hasMessageContaining("row 1 has 1 features, expected 2");
        assertThatThrownBy(() -> LogisticRegression.fit(x, new int[] {0, 1}, -1))
                .hasMessageContaining("L2 strength");
        assertThatThrownBy(() -> LogisticRegression.fit(new double[][] {{Double.NaN, 1}}, new int[] {1}, 0))
                .hasMessageContaining("x[0][0] is not finite");
    }

    static double[][] gaussian(Random rnd, int n, int d) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = rnd.nextGaussian();
            }
        }
        return x;
    }

    static double cosine(double[] a, double[] b) {
        return Lbfgs.dot(a, b) / (norm(a) * norm(b));
    }

    static double norm(double[] a) {
        return Math.sqrt(Lbfgs.dot(a, a));
    }
}
