package org.alignstream.inference.reward;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** How far two reward models agree on the same texts: rank correlation and ordering agreement. */
public final class RankAgreement {

    private RankAgreement() {
    }

    /** Spearman's rank correlation (Pearson correlation of ranks, ties get their average rank). */
    public static double spearman(double[] a, double[] b) {
        requireSameLength(a, b);
        if (a.length < 2) {
            throw new IllegalArgumentException("Spearman correlation needs at least 2 values, got " + a.length);
        }
        return pearson(ranks(a), ranks(b));
    }

    /**
     * Fraction of the n(n-1)/2 pairs (i, j) that both score vectors order the same way (a tie in
     * either vector counts as disagreement); 1 - this is the normalised Kendall distance.
     */
    public static double pairwiseAgreement(double[] a, double[] b) {
        requireSameLength(a, b);
        long agree = 0;
        long pairs = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                pairs++;
                double da = Math.signum(a[i] - a[j]);
                if (da != 0 && da == Math.signum(b[i] - b[j])) {
                    agree++;
                }
            }
        }
        if (pairs == 0) {
            throw new IllegalArgumentException("pairwise agreement needs at least 2 values");
        }
        return (double) agree / pairs;
    }

    /** Fraction of positions where both values are >= 0 or both are < 0. */
    public static double signAgreement(double[] a, double[] b) {
        requireSameLength(a, b);
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if ((a[i] >= 0) == (b[i] >= 0)) {
                same++;
            }
        }
        return (double) same / a.length;
    }

    /** 1-based ranks, tied values sharing the mean of their ranks. */
    static double[] ranks(double[] values) {
        Integer[] order = IntStream.range(0, values.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
        double[] ranks = new double[values.length];
        int k = 0;
        while (k < order.length) {
            int end = k;
            while (end + 1 < order.length && values[order[end + 1]] == values[order[k]]) {
                end++;
            }
            double rank = (k + end) / 2.0 + 1;
            for (int m = k; m <= end; m++) {
                ranks[order[m]] = rank;
            }
            k = end + 1;
        }
        return ranks;
    }

    private static double pearson(double[] x, double[] y) {
        double mx = Arrays.stream(x).average().orElseThrow();
        double my = Arrays.stream(y).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        if (sxx == 0 || syy == 0) {
            return Double.NaN; // a constant vector has no rank order
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    private static void requireSameLength(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("score vectors differ in length: " + a.length + " and " + b.length);
        }
    }
}
