package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/** Pearson's chi-square goodness-of-fit test at significance 0.001, as in {@code TokenSamplerTest}. */
public final class ChiSquare {

    /** Upper 0.999 quantiles of the chi-square distribution for 1..10 degrees of freedom. */
    private static final double[] CRITICAL_999 = {
        10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588};

    private ChiSquare() {
    }

    /** The statistic and its degrees of freedom. */
    public record Result(double statistic, int degreesOfFreedom) {

        /** The 0.999 quantile: exact table up to 10 degrees of freedom, Wilson-Hilferty above. */
        public double critical() {
            int df = degreesOfFreedom;
            if (df <= CRITICAL_999.length) {
                return CRITICAL_999[df - 1];
            }
            return df * Math.pow(1 - 2.0 / (9 * df) + 3.09 * Math.sqrt(2.0 / (9 * df)), 3);
        }

        public boolean rejects() {
            return statistic > critical();
        }
    }

    /** Draws {@code n} times with {@code draw} from one generator seeded {@code seed}, counting each index. */
    public static long[] frequencies(int k, int n, long seed, ToIntFunction<RandomGenerator> draw) {
        long[] counts = new long[k];
        RandomGenerator rng = new SplittableRandom(seed);
        for (int s = 0; s < n; s++) {
            counts[draw.applyAsInt(rng)]++;
        }
        return counts;
    }

    /**
     * Counts against the expected probabilities; cells with an expected count below 5 are pooled, and a
     * zero-probability cell must never have been observed.
     */
    public static Result test(long[] counts, double[] probabilities) {
        assertThat(counts).hasSameSizeAs(probabilities);
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        double chi2 = 0.0;
        int cells = 0;
        double pooledExpected = 0.0;
        long pooledObserved = 0;
        for (int i = 0; i < counts.length; i++) {
            if (probabilities[i] == 0.0) {
                assertThat(counts[i]).as("candidate %d has probability 0", i).isZero();
                continue;
            }
            double expected = probabilities[i] * n;
            if (expected < 5.0) {
                pooledExpected += expected;
                pooledObserved += counts[i];
            } else {
                chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
                cells++;
            }
        }
        if (pooledExpected > 0) {
            chi2 += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
            cells++;
        }
        assertThat(cells).as("a chi-square test needs at least two cells").isGreaterThanOrEqualTo(2);
        return new Result(chi2, cells - 1);
    }
}
