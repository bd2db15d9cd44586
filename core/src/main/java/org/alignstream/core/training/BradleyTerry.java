package org.alignstream.core.training;

/**
 * Bradley-Terry preference model on feature vectors (Bradley &amp; Terry 1952; the reward-model
 * loss of Ouyang et al. 2022): P(a &#8827; b) = sigma(w . (f_a - f_b)), so r(f) = w . f is a
 * reward whose differences give preference log-odds. A bias would cancel, so there is none.
 *
 * <p>Objective over n pairs (chosen c_i, rejected r_i), fitted by {@link Lbfgs}:
 * <pre>  L(w) = (1/n) sum_i softplus(-w . (f_c_i - f_r_i)) + (l2 / 2) ||w||^2</pre>
 * with gradient (1/n) sum_i (sigma(w . delta_i) - 1) delta_i + l2 w. Instances are immutable.
 */
public final class BradleyTerry {

    private final double[] weights;
    private final double[] lossHistory;
    private final boolean converged;

    public BradleyTerry(double[] weights) {
        this(weights, new double[0], true);
    }

    private BradleyTerry(double[] weights, double[] lossHistory, boolean converged) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("weights must not be empty");
        }
        this.weights = weights.clone();
        this.lossHistory = lossHistory;
        this.converged = converged;
    }

    /** Fits on pairs where {@code chosen[i]} is preferred over {@code rejected[i]}. */
    public static BradleyTerry fit(double[][] chosen, double[][] rejected, double l2) {
        return fit(chosen, rejected, l2, Lbfgs.defaults());
    }

    public static BradleyTerry fit(double[][] chosen, double[][] rejected, double l2, Lbfgs optimizer) {
        double[][] deltas = differences(chosen, rejected);
        Logistic.requireL2(l2);
        Lbfgs.Result result = optimizer.minimize(objective(deltas, l2), new double[deltas[0].length]);
        return new BradleyTerry(result.x(), result.valueHistory(), result.converged());
    }

    /** f_chosen - f_rejected for each pair, after validating shapes. */
    public static double[][] differences(double[][] chosen, double[][] rejected) {
        Logistic.requireMatrix(chosen, "chosen");
        Logistic.requireMatrix(rejected, "rejected");
        if (chosen.length != rejected.length) {
            throw new IllegalArgumentException("chosen has " + chosen.length + " rows but rejected has " + rejected.length);
        }
        if (chosen[0].length != rejected[0].length) {
            throw new IllegalArgumentException("chosen has " + chosen[0].length + " features but rejected has "
                    + rejected[0].length);
        }
        double[][] deltas = new double[chosen.length][chosen[0].length];
        for (int i = 0; i < chosen.length; i++) {
            for (int j = 0; j < chosen[0].length; j++) {
                deltas[i][j] = chosen[i][j] - rejected[i][j];
            }
        }
        return deltas;
    }

    /**
     * Online refinement: Bradley-Terry with a Gaussian prior centred on {@code prior} (the weights in use) instead of on
     * zero, i.e. minimises mean softplus(-(w . delta)) + l2/2 ||w - prior||^2. With little feedback the result stays
     * near the serving model; with more it moves to what the feedback says.
     */
    public static BradleyTerry fitAround(double[] prior, double[][] chosen, double[][] rejected, double l2) {
        double[][] deltas = differences(chosen, rejected);
        Logistic.requireLength(prior, deltas[0].length, "prior");
        Logistic.requireL2(l2);
        int d = prior.length;
        DifferentiableFunction f = new DifferentiableFunction() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public double valueAndGradient(double[] offset, double[] gradient) {
                double[] w = new double[d];
                for (int j = 0; j < d; j++) {
                    w[j] = prior[j] + offset[j];
                }
                double value = lossAndGradient(w, deltas, 0.0, gradient);
                for (int j = 0; j < d; j++) {
                    value += 0.5 * l2 * offset[j] * offset[j];
                    gradient[j] += l2 * offset[j];
                }
                return value;
            }
        };
        Lbfgs.Result r = Lbfgs.defaults().minimize(f, new double[d]);
        double[] w = new double[d];
        for (int j = 0; j < d; j++) {
            w[j] = prior[j] + r.x()[j];
        }
        return new BradleyTerry(w, r.valueHistory(), r.converged());
    }

    /** The training objective as a function of w, on precomputed differences f_chosen - f_rejected. */
    public static DifferentiableFunction objective(double[][] deltas, double l2) {
        Logistic.requireMatrix(deltas, "deltas");
        Logistic.requireL2(l2);
        int d = deltas[0].length;
        return new DifferentiableFunction() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public double valueAndGradient(double[] w, double[] gradient) {
                return lossAndGradient(w, deltas, l2, gradient);
            }
        };
    }

    public static double loss(double[] w, double[][] deltas, double l2) {
        return lossAndGradient(w, deltas, l2, null);
    }

    /** Objective at w; if {@code gradient} is not null it is overwritten with dL/dw. */
    public static double lossAndGradient(double[] w, double[][] deltas, double l2, double[] gradient) {
        int n = deltas.length;
        int d = deltas[0].length;
        Logistic.requireLength(w, d, "w");
        if (gradient != null) {
            Logistic.requireLength(gradient, d, "gradient");
            java.util.Arrays.fill(gradient, 0);
        }
        double total = 0;
        for (double[] delta : deltas) {
            double margin = Lbfgs.dot(w, delta);
            total += Logistic.softplus(-margin);
            if (gradient != null) {
                double r = (Logistic.sigmoid(margin) - 1.0) / n;
                for (int j = 0; j < d; j++) {
                    gradient[j] += r * delta[j];
                }
            }
        }
        double squaredNorm = 0;
        for (int j = 0; j < d; j++) {
            squaredNorm += w[j] * w[j];
            if (gradient != null) {
                gradient[j] += l2 * w[j];
            }
        }
        return total / n + 0.5 * l2 * squaredNorm;
    }

    public double[] weights() {
        return weights.clone();
    }

    public int dimension() {
        return weights.length;
    }

    /** Whether L-BFGS met its convergence test in the fit (true for models built directly). */
    public boolean converged() {
        return converged;
    }

    /** Objective values after each L-BFGS iteration of the fit (empty for models built directly). */
    public double[] lossHistory() {
        return lossHistory.clone();
    }

    /** The reward r(f) = w . f. */
    public double reward(double[] features) {
        Logistic.requireLength(features, weights.length, "features");
        return Lbfgs.dot(weights, features);
    }

    /** P(a &#8827; b) = sigma(r(a) - r(b)). */
    public double predict(double[] a, double[] b) {
        return Logistic.sigmoid(reward(a) - reward(b));
    }

    /** Fraction of pairs where the chosen item gets the higher reward (ties count as wrong). */
    public double pairwiseAccuracy(double[][] chosen, double[][] rejected) {
        double[][] deltas = differences(chosen, rejected);
        int correct = 0;
        for (double[] delta : deltas) {
            if (Lbfgs.dot(weights, delta) > 0) {
                correct++;
            }
        }
        return (double) correct / deltas.length;
    }
}
