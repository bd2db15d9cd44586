package org.alignstream.core.training;

/**
 * Binary L2-regularised logistic regression, p(y = 1 | x) = sigma(w . x + b), fitted by
 * {@link Lbfgs} on the full batch.
 *
 * <p>Objective (bias not regularised), over n examples:
 * <pre>  L(w, b) = (1/n) sum_i [ softplus(z_i) - y_i z_i ] + (l2 / 2) ||w||^2,   z_i = w . x_i + b</pre>
 * Its gradient is (1/n) sum_i (sigma(z_i) - y_i) (x_i, 1) + l2 (w, 0).
 *
 * <p>Parameters are packed as {@code [w_0 .. w_{d-1}, b]} in {@link #loss} and
 * {@link #lossAndGradient}. Instances are immutable.
 */
public final class LogisticRegression {

    private final double[] weights;
    private final double bias;
    private final double[] lossHistory;
    private final boolean converged;

    public LogisticRegression(double[] weights, double bias) {
        this(weights, bias, new double[0], true);
    }

    private LogisticRegression(double[] weights, double bias, double[] lossHistory, boolean converged) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("weights must not be empty");
        }
        this.weights = weights.clone();
        this.bias = bias;
        this.lossHistory = lossHistory;
        this.converged = converged;
    }

    /** Fits with {@link Lbfgs#defaults()}. Labels must be 0 or 1. */
    public static LogisticRegression fit(double[][] x, int[] y, double l2) {
        return fit(x, y, l2, Lbfgs.defaults());
    }

    public static LogisticRegression fit(double[][] x, int[] y, double l2, Lbfgs optimizer) {
        validate(x, y, l2);
        int d = x[0].length;
        Lbfgs.Result result = optimizer.minimize(objective(x, y, l2), new double[d + 1]);
        double[] p = result.x();
        double[] w = new double[d];
        System.arraycopy(p, 0, w, 0, d);
        return new LogisticRegression(w, p[d], result.valueHistory(), result.converged());
    }

    /** The training objective as a function of packed parameters {@code [w, b]}. */
    public static DifferentiableFunction objective(double[][] x, int[] y, double l2) {
        validate(x, y, l2);
        int d = x[0].length;
        return new DifferentiableFunction() {
            @Override
            public int dimension() {
                return d + 1;
            }

            @Override
            public double valueAndGradient(double[] params, double[] gradient) {
                return lossAndGradient(params, x, y, l2, gradient);
            }
        };
    }

    /** Objective value at packed parameters {@code [w, b]}. */
    public static double loss(double[] params, double[][] x, int[] y, double l2) {
        return lossAndGradient(params, x, y, l2, null);
    }

    /**
     * Objective value at packed parameters {@code [w, b]}; if {@code gradient} is not null it is
     * overwritten with the gradient (same packing).
     */
    public static double lossAndGradient(double[] params, double[][] x, int[] y, double l2, double[] gradient) {
        int n = x.length;
        int d = x[0].length;
        Logistic.requireLength(params, d + 1, "params");
        if (gradient != null) {
            Logistic.requireLength(gradient, d + 1, "gradient");
            java.util.Arrays.fill(gradient, 0);
        }
        double b = params[d];
        double total = 0;
        for (int i = 0; i < n; i++) {
            double z = b;
            for (int j = 0; j < d; j++) {
                z += params[j] * x[i][j];
            }
            total += Logistic.softplus(z) - y[i] * z;
            if (gradient != null) {
                double r = (Logistic.sigmoid(z) - y[i]) / n;
                for (int j = 0; j < d; j++) {
                    gradient[j] += r * x[i][j];
                }
                gradient[d] += r;
            }
        }
        double squaredNorm = 0;
        for (int j = 0; j < d; j++) {
            squaredNorm += params[j] * params[j];
            if (gradient != null) {
                gradient[j] += l2 * params[j];
            }
        }
        return total / n + 0.5 * l2 * squaredNorm;
    }

    public double[] weights() {
        return weights.clone();
    }

    public double bias() {
        return bias;
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

    /** The log-odds w . x + b. */
    public double logit(double[] x) {
        Logistic.requireLength(x, weights.length, "x");
        return Lbfgs.dot(weights, x) + bias;
    }

    /** p(y = 1 | x). */
    public double probability(double[] x) {
        return Logistic.sigmoid(logit(x));
    }

    /** 1 if p(y = 1 | x) >= 0.5, else 0. */
    public int predict(double[] x) {
        return logit(x) >= 0 ? 1 : 0;
    }

    public double[] probabilities(double[][] x) {
        double[] p = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = probability(x[i]);
        }
        return p;
    }

    public int[] predict(double[][] x) {
        int[] labels = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            labels[i] = predict(x[i]);
        }
        return labels;
    }

    /** Fraction of rows whose predicted label equals {@code y}. */
    public double accuracy(double[][] x, int[] y) {
        validate(x, y, 0);
        int correct = 0;
        for (int i = 0; i < x.length; i++) {
            if (predict(x[i]) == y[i]) {
                correct++;
            }
        }
        return (double) correct / x.length;
    }

    private static void validate(double[][] x, int[] y, double l2) {
        Logistic.requireMatrix(x, "x");
        Logistic.requireL2(l2);
        if (y == null || y.length != x.length) {
            throw new IllegalArgumentException("y has " + (y == null ? "no" : String.valueOf(y.length))
                    + " labels but x has " + x.length + " rows");
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] != 0 && y[i] != 1) {
                throw new IllegalArgumentException("label y[" + i + "] = " + y[i] + " is not 0 or 1");
            }
        }
    }
}
