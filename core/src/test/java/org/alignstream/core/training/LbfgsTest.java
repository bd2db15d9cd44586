package org.alignstream.core.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LbfgsTest {

    /** Rosenbrock's banana function, minimum 0 at (1, 1). */
    private static final DifferentiableFunction ROSENBROCK = new DifferentiableFunction() {
        @Override
        public int dimension() {
            return 2;
        }

        @Override
        public double valueAndGradient(double[] x, double[] g) {
            double a = 1 - x[0];
            double b = x[1] - x[0] * x[0];
            g[0] = -2 * a - 400 * x[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        }
    };

    @Test
    void findsRosenbrockMinimum() {
        Lbfgs.Result result = new Lbfgs(10, 1000, 1e-9).minimize(ROSENBROCK, new double[] {-1.2, 1.0});
        assertThat(result.x()[0]).isCloseTo(1.0, within(1e-5));
        assertThat(result.x()[1]).isCloseTo(1.0, within(1e-5));
        assertThat(result.value()).isLessThan(1e-10);
        double[] history = result.valueHistory();
        for (int i = 1; i < history.length; i++) {
            assertThat(history[i]).isLessThanOrEqualTo(history[i - 1]);
        }
    }

    @Test
    void solvesQuadraticExactly() {
        // f(x) = sum_i c_i (x_i - i)^2
        double[] c = {1, 10, 100, 0.5};
        DifferentiableFunction quadratic = new DifferentiableFunction() {
            @Override
            public int dimension() {
                return 4;
            }

            @Override
            public double valueAndGradient(double[] x, double[] g) {
                double v = 0;
                for (int i = 0; i < 4; i++) {
                    v += c[i] * (x[i] - i) * (x[i] - i);
                    g[i] = 2 * c[i] * (x[i] - i);
                }
                return v;
            }
        };
        Lbfgs.Result result = Lbfgs.defaults().minimize(quadratic, new double[4]);
        assertThat(result.converged()).isTrue();
        for (int i = 0; i < 4; i++) {
            assertThat(result.x()[i]).isCloseTo(i, within(1e-6));
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> new Lbfgs(0, 10, 1e-6)).hasMessageContaining("memory must be >= 1");
        assertThatThrownBy(() -> Lbfgs.defaults().minimize(ROSENBROCK, new double[3]))
                .hasMessageContaining("start has length 3 but the function has dimension 2");
    }
}
