package org.alignstream.core.training;

/**
 * A smooth objective f: R^n -> R that reports its value and gradient in one pass, as needed by
 * {@link Lbfgs}.
 */
public interface DifferentiableFunction {

    /** Number of parameters n. */
    int dimension();

    /**
     * Evaluates f at {@code x}, writes the gradient into {@code gradient} (length n, overwritten)
     * and returns f(x).
     */
    double valueAndGradient(double[] x, double[] gradient);
}
