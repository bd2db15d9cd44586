package org.alignstream.core.training;

/** Numerically stable logistic-function helpers shared by the models in this package. */
final class Logistic {

    private Logistic() {
    }

    /** sigma(z) = 1 / (1 + e^-z), without overflow for large |z|. */
    static double sigmoid(double z) {
        if (z >= 0) {
            return 1.0 / (1.0 + Math.exp(-z));
        }
        double e = Math.exp(z);
        return e / (1.0 + e);
    }

    /** softplus(z) = log(1 + e^z) = -log sigma(-z), without overflow. */
    static double softplus(double z) {
        return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    static void requireMatrix(double[][] x, String name) {
        if (x == null || x.length == 0) {
            throw new IllegalArgumentException(name + " must contain at least one row");
        }
        int d = x[0].length;
        if (d == 0) {
            throw new IllegalArgumentException(name + " rows must have at least one feature");
        }
        for (int i = 0; i < x.length; i++) {
            if (x[i] == null || x[i].length != d) {
                throw new IllegalArgumentException(name + " row " + i + " has "
                        + (x[i] == null ? "no" : String.valueOf(x[i].length)) + " features, expected " + d);
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(x[i][j])) {
                    throw new IllegalArgumentException(name + "[" + i + "][" + j + "] is not finite: " + x[i][j]);
                }
            }
        }
    }

    static void requireL2(double l2) {
        if (!(l2 >= 0) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("L2 strength must be finite and >= 0, got " + l2);
        }
    }

    static void requireLength(double[] v, int expected, String name) {
        if (v.length != expected) {
            throw new IllegalArgumentException(name + " has length " + v.length + ", expected " + expected);
        }
    }
}
