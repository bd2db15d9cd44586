package org.alignstream.core.selection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The KL of a choice among N drawn candidates from their reference probabilities, computed exactly and cheaply
 * ({@code KlKind.EXACT_OVER_CANDIDATES}): the reference pi_ref restricted to the distinct candidates (each distinct
 * text once, probability {@code q_d = pi_ref(y_d) / sum_e pi_ref(y_e)}), and the policy "draw N times from q, keep the
 * best by a per-candidate score" (Best-of-N by reward; RBoN-KL by reward + beta log pi_ref). Its choice
 * distribution is, with the distinct candidates sorted from the worst score to the best and {@code F_d} the mass of q
 * up to and including d,
 * <pre>  P_d = F_d^N - F_(d-1)^N,          KL = sum_d P_d log(P_d / q_d),</pre>
 * the exact finite-support form of Best-of-N's distribution (Beirami et al. 2024), whose general upper bound is
 * {@code log N - (N-1)/N} ({@link BestOfN#klEstimate}). Duplicates are merged before anything is computed: N identical
 * candidates (temperature 0) are one distinct candidate with q = 1, and the KL is 0, not the bound's 0.636 for N = 4.
 *
 * <p>The figure equals KL(pi || pi_ref) when the candidates cover pi_ref's support; when they cover little of it (a
 * high-entropy reference, texts of more than a few tokens) it is the KL of a choice among a sliver of the support,
 * which falls towards 0 as N grows: callers report it only when {@link #describesTheChoice} (at least
 * {@link #MIN_COVERED_MASS} of the mass drawn, or one distinct text) and Best-of-N's bound otherwise. Ties between distinct candidates of equal score are ordered by first
 * index (the selector's tie rule on a fixed order), so for tied scores the figure is that of this fixed order.
 * Computed in log space: {@code log F_d} by log-sum-exp and {@code P_d = F_d^N (-expm1(N log1p(-q_d / F_d)))}, so a
 * tiny q_d loses no precision.
 */
public final class CandidateChoiceKl {

    private CandidateChoiceKl() {
    }

    /**
     * For each candidate, the index of the first candidate with the same tokens (its own index if it is the first):
     * which candidates are the same text.
     */
    public static int[] firstOccurrence(List<? extends List<Integer>> tokens) {
        int[] first = new int[tokens.size()];
        Map<List<Integer>, Integer> seen = new HashMap<>();
        for (int i = 0; i < first.length; i++) {
            Integer earlier = seen.putIfAbsent(List.copyOf(tokens.get(i)), i);
            first[i] = earlier == null ? i : earlier;
        }
        return first;
    }

    /** How many distinct texts {@code firstOccurrence} describes. */
    public static int distinct(int[] firstOccurrence) {
        int d = 0;
        for (int i = 0; i < firstOccurrence.length; i++) {
            d += firstOccurrence[i] == i ? 1 : 0;
        }
        return d;
    }

    /**
     * The exact KL over the drawn candidates of Best-of-N by {@code scores} (see the class comment).
     *
     * @param scores          each candidate's score (reward for Best-of-N, the RBoN-KL objective); NaN ranks lowest
     * @param logProbRef      each candidate's log pi_ref(y_i | x), finite and {@code <= 0}
     * @param firstOccurrence {@link #firstOccurrence} of the candidates' tokens
     * @throws IllegalArgumentException on empty or mismatched arrays or values outside their range
     */
    public static double bestOfN(double[] scores, double[] logProbRef, int[] firstOccurrence) {
        int n = scores == null ? 0 : scores.length;
        if (n == 0 || logProbRef == null || logProbRef.length != n || firstOccurrence == null
                || firstOccurrence.length != n) {
            throw new IllegalArgumentException("the choice KL needs one score, log-probability and occurrence per"
                    + " candidate, at least one candidate");
        }
        List<Integer> reps = new ArrayList<>();
        double maxLp = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (!(logProbRef[i] <= 1e-6) || Double.isInfinite(logProbRef[i])) {
                throw new IllegalArgumentException("logProbRef[" + i + "] is " + logProbRef[i]
                        + "; a log-probability must be finite and <= 0");
            }
            if (firstOccurrence[i] < 0 || firstOccurrence[i] > i || firstOccurrence[firstOccurrence[i]]
                    != firstOccurrence[i]) {
                throw new IllegalArgumentException("firstOccurrence[" + i + "] = " + firstOccurrence[i]
                        + " is not the first index of a candidate");
            }
            if (firstOccurrence[i] == i) {
                reps.add(i);
                maxLp = Math.max(maxLp, logProbRef[i]);
            }
        }
        if (reps.size() == 1) {
            return 0.0;
        }
        // log q over the distinct candidates: lp - max - log(1 + sum of the others' exp(lp - max))
        double others = 0;
        boolean maxSeen = false;
        for (int d : reps) {
            if (!maxSeen && logProbRef[d] == maxLp) {
                maxSeen = true;
            } else {
                others += Math.exp(logProbRef[d] - maxLp);
            }
        }
        double logSum = Math.log1p(others);
        // worst first: lower score, then (ties) higher first index, so the lowest index wins as BestOfN.select does
        reps.sort((a, b) -> rank(scores[a]) != rank(scores[b]) ? Double.compare(rank(scores[a]), rank(scores[b]))
                : Integer.compare(b, a));
        double kl = 0;
        double logF = Double.NEGATIVE_INFINITY; // log of q's mass up to and including the current candidate
        for (int d : reps) {
            double logQ = logProbRef[d] - maxLp - logSum;
            logF = logAddExp(logF, logQ);
            double ratio = Math.exp(logQ - logF); // q_d / F_d, in (0, 1]
            double share = -Math.expm1(n * Math.log1p(-Math.min(1.0, ratio)));
            if (logQ == Double.NEGATIVE_INFINITY || !(share > 0)) {
                continue;
            }
            double logP = n * Math.min(0.0, logF) + Math.log(share);
            kl += Math.exp(logP) * (logP - logQ);
        }
        return Math.max(0.0, kl);
    }

    /** A NaN score ranks below every number, as in {@link BestOfN#select}. */
    private static double rank(double score) {
        return Double.isNaN(score) ? Double.NEGATIVE_INFINITY : score;
    }

    private static double logAddExp(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) {
            return b;
        }
        if (b == Double.NEGATIVE_INFINITY) {
            return a;
        }
        double max = Math.max(a, b);
        return max + Math.log1p(Math.exp(Math.min(a, b) - max));
    }
    /**
     * The least share of pi_ref's mass the distinct candidates must hold for {@link #bestOfN} to describe the policy:
     * below it the figure is that of a choice among a sliver of the support (pi_ref restricted to the drawn texts is
     * then nearly one-hot on the likeliest of them, and the figure falls towards 0 as N grows), and Best-of-N's bound
     * log N - (N-1)/N, nearly tight when every outcome is improbable (Beirami et al. 2024), describes it better.
     */
    public static final double MIN_COVERED_MASS = 0.5;

    /**
     * The mass pi_ref gives the distinct candidates, sum over distinct texts of pi_ref(y_d) (at most 1 for a proper
     * pi_ref; each duplicate counted once).
     *
     * @param logProbRef      each candidate's log pi_ref(y_i | x)
     * @param firstOccurrence {@link #firstOccurrence} of the candidates' tokens
     */
    public static double coveredMass(double[] logProbRef, int[] firstOccurrence) {
        if (logProbRef == null || firstOccurrence == null || logProbRef.length != firstOccurrence.length) {
            throw new IllegalArgumentException("one log-probability and occurrence per candidate");
        }
        double mass = 0;
        for (int i = 0; i < logProbRef.length; i++) {
            if (firstOccurrence[i] == i) {
                mass += Math.exp(logProbRef[i]);
            }
        }
        return mass;
    }

    /**
     * Whether {@link #bestOfN} describes the choice: one distinct text (the choice adds nothing, KL 0) or distinct texts
     * holding at least {@link #MIN_COVERED_MASS} of pi_ref's mass; otherwise report Best-of-N's bound.
     */
    public static boolean describesTheChoice(double[] logProbRef, int[] firstOccurrence) {
        return distinct(firstOccurrence) == 1 || coveredMass(logProbRef, firstOccurrence) >= MIN_COVERED_MASS;
    }
}
