package org.alignstream.core.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Limited-memory BFGS (Nocedal &amp; Wright, <i>Numerical Optimization</i>, Algorithm 7.4: the
 * two-loop recursion) with a backtracking Armijo line search. Every accepted step decreases the
 * objective, so {@link Result#valueHistory()} is non-increasing.
 *
 * <p>Stateless and thread-safe; one instance can minimise many functions.
 */
public final class Lbfgs {

    /** Outcome of a minimisation. */
    public record Result(double[] x, double value, int iterations, boolean converged, double[] valueHistory) {}

    private static final double ARMIJO_C1 = 1e-4;
    private static final int MAX_BACKTRACKS = 60;

    private final int memory;
    private final int maxIterations;
    private final double gradientTolerance;

    /**
     * @param memory            number of (s, y) correction pairs kept (typically 5-20)
     * @param maxIterations     iteration cap
     * @param gradientTolerance stop when the max-norm of the gradient falls below this
     */
    public Lbfgs(int memory, int maxIterations, double gradientTolerance) {
        if (memory < 1) {
            throw new IllegalArgumentException("L-BFGS memory must be >= 1, got " + memory);
        }
        if (maxIterations < 1) {
            throw new IllegalArgumentException("L-BFGS maxIterations must be >= 1, got " + maxIterations);
        }
        if (!(gradientTolerance > 0)) {
            throw new IllegalArgumentException("L-BFGS gradientTolerance must be > 0, got " + gradientTolerance);
        }
        this.memory = memory;
        this.maxIterations = maxIterations;
        this.gradientTolerance = gradientTolerance;
    }

    /** Defaults suited to the small convex problems in this package. */
    public static Lbfgs defaults() {
        return new Lbfgs(10, 500, 1e-7);
    }

    public Result minimize(DifferentiableFunction f, double[] start) {
        int n = f.dimension();
        if (start.length != n) {
            throw new IllegalArgumentException("start has length " + start.length + " but the function has dimension " + n);
        }
        double[] x = start.clone();
        double[] g = new double[n];
        double fx = f.valueAndGradient(x, g);
        requireFinite(fx, 0);
        List<Double> history = new ArrayList<>();
        history.add(fx);

        double[][] s = new double[memory][];
        double[][] y = new double[memory][];
        double[] rho = new double[memory];
        int stored = 0;
        int head = 0; // next slot to write
        double[] xNew = new double[n];
        double[] gNew = new double[n];
        int iteration = 0;
        boolean converged = maxAbs(g) < gradientTolerance;

        while (!converged && iteration < maxIterations) {
            iteration++;
            double[] direction = twoLoopDirection(g, s, y, rho, stored, head);
            double slope = dot(direction, g);
            if (slope >= 0) { // not a descent direction (numerical trouble): restart from steepest descent
                stored = 0;
                for (int i = 0; i < n; i++) {
                    direction[i] = -g[i];
                }
                slope = dot(direction, g);
            }
            double step = stored == 0 ? Math.min(1.0, 1.0 / Math.max(1e-12, norm(g))) : 1.0;
            double fNew = Double.NaN;
            boolean accepted = false;
            for (int k = 0; k < MAX_BACKTRACKS; k++) {
                for (int i = 0; i < n; i++) {
                    xNew[i] = x[i] + step * direction[i];
                }
                fNew = f.valueAndGradient(xNew, gNew);
                if (Double.isFinite(fNew) && fNew <= fx + ARMIJO_C1 * step * slope) {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) {
                break; // no progress possible at machine precision: x is (numerically) optimal
            }
            double[] sk = new double[n];
            double[] yk = new double[n];
            for (int i = 0; i < n; i++) {
                sk[i] = xNew[i] - x[i];
                yk[i] = gNew[i] - g[i];
            }
            double sy = dot(sk, yk);
            if (sy > 1e-12 * norm(sk) * norm(yk)) { // curvature condition; skip the pair otherwise
                s[head] = sk;
                y[head] = yk;
                rho[head] = 1.0 / sy;
                head = (head + 1) % memory;
                stored = Math.min(stored + 1, memory);
            }
            System.arraycopy(xNew, 0, x, 0, n);
            System.arraycopy(gNew, 0, g, 0, n);
            double improvement = fx - fNew;
            fx = fNew;
            history.add(fx);
            converged = maxAbs(g) < gradientTolerance
                    || improvement <= 1e-15 * Math.max(1.0, Math.abs(fx));
        }
        return new Result(x, fx, iteration, converged, history.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double[] twoLoopDirection(double[] g, double[][] s, double[][] y, double[] rho, int stored, int head) {
        int memory = s.length;
        double[] q = g.clone();
        double[] alpha = new double[memory];
        for (int k = 0; k < stored; k++) { // newest to oldest
            int idx = Math.floorMod(head - 1 - k, memory);
            alpha[idx] = rho[idx] * dot(s[idx], q);
            axpy(-alpha[idx], y[idx], q);
        }
        if (stored > 0) {
            int newest = Math.floorMod(head - 1, memory);
            double gamma = dot(s[newest], y[newest]) / dot(y[newest], y[newest]);
            for (int i = 0; i < q.length; i++) {
                q[i] *= gamma;
            }
        }
        for (int k = stored - 1; k >= 0; k--) { // oldest to newest
            int idx = Math.floorMod(head - 1 - k, memory);
            double beta = rho[idx] * dot(y[idx], q);
            axpy(alpha[idx] - beta, s[idx], q);
        }
        for (int i = 0; i < q.length; i++) {
            q[i] = -q[i];
        }
        return q;
    }

    private static void requireFinite(double value, int iteration) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("objective is not finite (" + value + ") at iteration " + iteration);
        }
    }

    static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static double maxAbs(double[] a) {
        return Arrays.stream(a).map(Math::abs).max().orElse(0);
    }
}
