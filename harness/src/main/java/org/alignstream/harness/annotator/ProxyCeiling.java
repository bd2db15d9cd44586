package org.alignstream.harness.annotator;

import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;

/**
 * How far the proxy class (a linear head on the proxy backbone's features) can follow a gold taste at all: a linear head
 * fitted straight to the gold rewards (ridge regression, i.e. with the gold scores in hand, which feedback never gives)
 * of candidates of the annotated kind (never the evaluation texts), then measured on the evaluation set like any proxy
 * version. Its ridge strength is chosen from {@link #LAMBDAS} on the last fifth of those candidate sets (fitted on the
 * rest), then refitted on all of them.
 */
public final class ProxyCeiling {

    static final double[] LAMBDAS = {0.1, 1, 10};

    /** The ceiling head's agreement on the evaluation set, the ridge strength chosen and the texts fitted. */
    public record Result(AgreementSet.Figures figures, double lambda, int texts) {
    }

    private ProxyCeiling() {
    }

    /**
     * @param fit  candidate sets of the annotated kind with their gold rewards and features (at least 5 sets)
     * @param eval the evaluation set the ceiling is measured on
     */
    public static Result measure(AgreementSet fit, AgreementSet eval, HeadMetadata metadata) {
        if (fit.sets() < 5 || fit.sentences() != 0) {
            throw new IllegalArgumentException("need at least 5 candidate sets and no sentences to fit the ceiling on");
        }
        float[][] x = fit.features();
        double[] y = fit.gold();
        int setSize = (x.length) / fit.sets();
        int split = (fit.sets() - Math.max(1, fit.sets() / 5)) * setSize;
        AgreementSet validation = new AgreementSet(fit.textsFrom(split), 0, setSize,
                java.util.Arrays.copyOfRange(y, split, y.length), java.util.Arrays.copyOfRange(x, split, x.length));
        double best = Double.NaN;
        double bestScore = -1;
        for (double lambda : LAMBDAS) {
            double[] w = ridge(java.util.Arrays.copyOf(x, split), java.util.Arrays.copyOf(y, split), lambda);
            double score = validation.measure(new LinearHead(w, 0, metadata)).withinSet();
            if (score > bestScore) {
                bestScore = score;
                best = lambda;
            }
        }
        return new Result(eval.measure(new LinearHead(ridge(x, y, best), 0, metadata)), best, x.length);
    }

    /** Ridge regression of {@code y} on {@code x} with an unpenalised intercept (dropped: rankings do not need it). */
    static double[] ridge(float[][] x, double[] y, double lambda) {
        int n = x.length;
        int d = x[0].length;
        double[] mu = new double[d];
        double ym = 0;
        for (int i = 0; i < n; i++) {
            ym += y[i] / n;
            for (int j = 0; j < d; j++) {
                mu[j] += x[i][j] / (double) n;
            }
        }
        double[][] a = new double[d][d];
        double[] b = new double[d];
        double[] c = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                c[j] = x[i][j] - mu[j];
            }
            for (int p = 0; p < d; p++) {
                b[p] += c[p] * (y[i] - ym);
                for (int q = 0; q <= p; q++) {
                    a[p][q] += c[p] * c[q];
                }
            }
        }
        for (int p = 0; p < d; p++) {
            a[p][p] += lambda;
            for (int q = 0; q < p; q++) {
                a[q][p] = a[p][q];
            }
        }
        return cholesky(a, b);
    }

    /** Solves a x = b for symmetric positive definite a. */
    static double[] cholesky(double[][] a, double[] b) {
        int d = b.length;
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalArgumentException("matrix not positive definite");
                    }
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        double[] z = new double[d];
        for (int i = 0; i < d; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * z[k];
            }
            z[i] = s / l[i][i];
        }
        double[] out = new double[d];
        for (int i = d - 1; i >= 0; i--) {
            double s = z[i];
            for (int k = i + 1; k < d; k++) {
                s -= l[k][i] * out[k];
            }
            out[i] = s / l[i][i];
        }
        return out;
    }
}
