package org.alignstream.core.selection;

/**
 * Regularized Best-of-N sampling (Jinnai et al. 2024, "Regularized Best-of-N Sampling to Mitigate Reward
 * Hacking"): among N candidates sampled from the reference policy, return the one maximising the reward minus
 * a proximity regulariser to the reference policy, which keeps the choice from over-fitting an imperfect
 * reward model.
 * <ul>
 *   <li>RBoN-KL: {@code argmax_i R(x, y_i) + beta * log pi_ref(y_i | x)}, the KL-divergence regulariser in the
 *       form of the paper's practical estimator.</li>
 *   <li>RBoN-WD: {@code argmax_i R(x, y_i) - beta * WD(1_{y_i}, pi_ref)}, where the 1-Wasserstein distance from
 *       the point mass on {@code y_i} to the empirical reference distribution (the N samples, uniformly weighted)
 *       is {@code (1/N) * sum_j C(y_i, y_j)} with cost {@code C(y, y') = 1 - cos(e(y), e(y'))} on sentence
 *       embeddings; {@code j} runs over all N candidates, including {@code i}.</li>
 * </ul>
 * With {@code beta = 0} both are Best-of-N. The choice is made by {@link BestOfN#select} on the objective, so
 * ties go to the lowest index and a NaN objective (from a NaN reward or log-probability) never beats a finite
 * one.
 */
public final class RegularizedBestOfN {

    /** Rounding slack for a log-probability that should be {@code <= 0}. */
    private static final double LOG_PROB_SLACK = 1e-6;

    private RegularizedBestOfN() {
    }

    /**
     * {@code R(x, y_i) + beta * log pi_ref(y_i | x)} for each candidate. With {@code beta = 0} the objective is
     * the rewards themselves, even where {@code log pi_ref = -Infinity}.
     */
    public static double[] klObjective(double[] rewards, double[] logProbRef, double beta) {
        checkRewards(rewards);
        if (logProbRef == null || logProbRef.length != rewards.length) {
            throw new IllegalArgumentException("RBoN-KL needs one log pi_ref per candidate: " + rewards.length
                    + " rewards but " + (logProbRef == null ? "no" : String.valueOf(logProbRef.length))
                    + " log-probabilities");
        }
        checkBeta(beta);
        double[] objective = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            if (logProbRef[i] > LOG_PROB_SLACK || logProbRef[i] == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logProbRef[" + i + "] is " + logProbRef[i]
                        + "; a log-probability must be <= 0");
            }
            objective[i] = beta == 0.0 ? rewards[i] : rewards[i] + beta * logProbRef[i];
        }
        return objective;
    }

    /** Index of the candidate maximising {@link #klObjective} (RBoN-KL). */
    public static int selectKl(double[] rewards, double[] logProbRef, double beta) {
        return BestOfN.select(klObjective(rewards, logProbRef, beta));
    }

    /**
     * {@code R(x, y_i) - beta * (1/N) * sum_j (1 - cos(e_i, e_j))} for each candidate, {@code j} over all N
     * (including {@code i}). The cosine divides by both norms, so the embeddings need not be normalised; they
     * must all have the same non-zero dimension, finite entries and a non-zero norm. O(N^2 d).
     */
    public static double[] wassersteinObjective(double[] rewards, float[][] embeddings, double beta) {
        checkRewards(rewards);
        checkBeta(beta);
        double[] norms = norms(embeddings, rewards.length);
        int n = rewards.length;
        double[][] cost = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double c = 1.0 - dot(embeddings[i], embeddings[j]) / (norms[i] * norms[j]);
                cost[i][j] = c;
                cost[j][i] = c;
            }
        }
        double[] objective = new double[n];
        for (int i = 0; i < n; i++) {
            double sum = 0.0;
            for (int j = 0; j < n; j++) {
                sum += cost[i][j];
            }
            objective[i] = beta == 0.0 ? rewards[i] : rewards[i] - beta * (sum / n);
        }
        return objective;
    }

    /** Index of the candidate maximising {@link #wassersteinObjective} (RBoN-WD). */
    public static int selectWasserstein(double[] rewards, float[][] embeddings, double beta) {
        return BestOfN.select(wassersteinObjective(rewards, embeddings, beta));
    }

    private static void checkRewards(double[] rewards) {
        if (rewards == null || rewards.length == 0) {
            throw new IllegalArgumentException("Regularized Best-of-N needs at least one candidate reward");
        }
    }

    private static void checkBeta(double beta) {
        if (!Double.isFinite(beta)) {
            throw new IllegalArgumentException("beta must be finite, got " + beta);
        }
    }

    /** Euclidean norm of each embedding, after checking there is one per candidate and all are usable. */
    private static double[] norms(float[][] embeddings, int n) {
        if (embeddings == null || embeddings.length != n) {
            throw new IllegalArgumentException("RBoN-WD needs one embedding per candidate: " + n + " rewards but "
                    + (embeddings == null ? "no" : String.valueOf(embeddings.length)) + " embeddings");
        }
        if (embeddings[0] == null || embeddings[0].length == 0) {
            throw new IllegalArgumentException("embeddings[0] is " + (embeddings[0] == null ? "null" : "empty")
                    + "; embeddings must have a non-zero dimension");
        }
        int dimension = embeddings[0].length;
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            float[] e = embeddings[i];
            if (e == null || e.length != dimension) {
                throw new IllegalArgumentException("embeddings[" + i + "] has dimension "
                        + (e == null ? "null" : String.valueOf(e.length)) + " but embeddings[0] has " + dimension
                        + "; all embeddings must have the same dimension");
            }
            for (int d = 0; d < dimension; d++) {
                if (!Float.isFinite(e[d])) {
                    throw new IllegalArgumentException("embeddings[" + i + "][" + d + "] is " + e[d]
                            + "; embedding entries must be finite");
                }
            }
            norms[i] = Math.sqrt(dot(e, e));
            if (norms[i] == 0.0) {
                throw new IllegalArgumentException("embeddings[" + i + "] is the zero vector; its cosine similarity"
                        + " is undefined");
            }
        }
        return norms;
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0.0;
        for (int d = 0; d < a.length; d++) {
            sum += (double) a[d] * b[d];
        }
        return sum;
    }
}
