package org.alignstream.core.decoding;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** Random decoding rounds for the tests: top-k log-probabilities of a reference model and rewards. */
final class Candidates {

    private Candidates() {
    }

    /**
     * {@code log pi_ref} of the k most probable tokens of a random distribution over a larger vocabulary, in
     * descending order, so they sum to less than 1 as real top-k log-probabilities do.
     */
    static double[] topKLogProbs(SplittableRandom rnd, int k) {
        int vocab = k + 1 + rnd.nextInt(20);
        double[] logits = new double[vocab];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            logits[i] = rnd.nextGaussian() * 2.0;
            max = Math.max(max, logits[i]);
        }
        double sum = 0.0;
        for (double x : logits) {
            sum += Math.exp(x - max);
        }
        double lse = max + Math.log(sum);
        double[] lp = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            lp[i] = logits[i] - lse;
        }
        Arrays.sort(lp);
        double[] top = new double[k];
        for (int i = 0; i < k; i++) {
            top[i] = lp[vocab - 1 - i];
        }
        return top;
    }

    static double[] gaussians(SplittableRandom rnd, int k, double scale) {
        double[] r = new double[k];
        for (int i = 0; i < k; i++) {
            r[i] = rnd.nextGaussian() * scale;
        }
        return r;
    }

    /** Small integers: sums and products with integer weights are exact, so ties are exact ties. */
    static double[] integers(SplittableRandom rnd, int k, int bound) {
        double[] r = new double[k];
        for (int i = 0; i < k; i++) {
            r[i] = rnd.nextInt(bound);
        }
        return r;
    }

    /** Largest element-wise difference; fails on a length mismatch (cheap enough for thousands of trials). */
    static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0.0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
        }
        return max;
    }

    /** Brute force: the first index that no other index strictly beats and no earlier index equals. */
    static int firstMaximum(double[] values) {
        for (int i = 0; i < values.length; i++) {
            boolean best = true;
            for (int j = 0; j < values.length; j++) {
                if (j < i ? values[j] >= values[i] : values[j] > values[i]) {
                    best = false;
                    break;
                }
            }
            if (best) {
                return i;
            }
        }
        throw new AssertionError("no maximum in " + Arrays.toString(values));
    }

    /** A generator that counts how many 64-bit draws were taken from it ({@code nextDouble} takes one). */
    static final class Counting implements RandomGenerator {
        private final SplittableRandom inner = new SplittableRandom(3);
        int draws;

        @Override
        public long nextLong() {
            draws++;
            return inner.nextLong();
        }
    }
}
