package org.alignstream.evaluation.quality;

/**
 * The mean of the per-prompt differences {@code a[i] - b[i]} between two rows measured on the same prompts, with its
 * standard error {@code sd / sqrt(n)} (sample standard deviation). A difference is taken as real (beyond noise) when
 * it exceeds {@link #NOISE_MULTIPLE} standard errors, roughly a two-sided 95 % paired t-test for 20 or more prompts.
 */
public record PairedDifference(double mean, double standardError, int n) {

    /** How many standard errors a difference must exceed to count as beyond noise. */
    public static final double NOISE_MULTIPLE = 2.0;

    public static PairedDifference of(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired rows need the same prompts: " + a.length + " vs " + b.length
                    + " values");
        }
        if (a.length == 0) {
            throw new IllegalArgumentException("no values to compare");
        }
        int n = a.length;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += a[i] - b[i];
        }
        double mean = sum / n;
        if (n == 1) {
            return new PairedDifference(mean, Double.NaN, 1);
        }
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double d = a[i] - b[i] - mean;
            ss += d * d;
        }
        return new PairedDifference(mean, Math.sqrt(ss / (n - 1) / n), n);
    }

    /** Positive and beyond noise (a single pair or a NaN standard error never is). */
    public boolean significantlyPositive() {
        return mean > 0 && mean > NOISE_MULTIPLE * standardError;
    }

    /** Negative and beyond noise. */
    public boolean significantlyNegative() {
        return mean < 0 && -mean > NOISE_MULTIPLE * standardError;
    }

    /** E.g. {@code +0.123 ± 0.0456} (one standard error), in three significant digits. */
    public String describe() {
        return (mean >= 0 ? "+" : "") + ResultTable.sig3(mean) + " ± " + ResultTable.sig3(standardError);
    }
}
