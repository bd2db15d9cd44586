package org.alignstream.core.decoding;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What the KL figure of a response ({@code AlignedResponse.kl}, a figure of KL(pi || pi_ref), pi the method's output
 * distribution for the prompt and pi_ref the generator at temperature 1 without filters) is. Only some methods allow
 * the exact KL; the others report a bound or an estimate, and the response says which ({@code kl_kind}).
 */
public enum KlKind {
    /**
     * The exact KL: the method's output is a deterministic path (greedy tokenwise decoding with deterministic
     * candidates), so KL(pi || pi_ref) = -log pi_ref(y) = the sum of the per-token figures.
     */
    EXACT("exact"),
    /**
     * The exact KL of the method's choice among the distinct drawn candidates from pi_ref restricted to them
     * (renormalised by their pi_ref probabilities): Best-of-N by the method's per-candidate score
     * ({@code CandidateChoiceKl}). It equals KL(pi || pi_ref) when the candidates cover pi_ref's support and is 0 when
     * all candidates are the same text (temperature 0).
     */
    EXACT_OVER_CANDIDATES("exact_over_candidates"),
    /**
     * A deterministic upper bound: Best-of-N's log N - (N-1)/N (Beirami et al. 2024) for N independent draws from
     * pi_ref, log N for any rule choosing one of N such draws (rbon_wd), the sum of per-block Best-of-K bounds
     * (blockwise, greedy).
     */
    UPPER_BOUND("upper_bound"),
    /**
     * An unbiased one-sample estimate: the exact per-step KL summed along the one path sampled (sampled tokenwise
     * decoding), whose expectation over paths is the sequence KL (chain rule).
     */
    ONE_SAMPLE_ESTIMATE("one_sample_estimate"),
    /**
     * A one-sample estimate of an upper bound: per round, the KL of the choice conditional on random candidates
     * (sampled blocks, or sampled rollouts of tq_star), whose expectation over the candidates bounds the round's KL
     * (a choice's KL given the draws is at least that of its marginal), summed along the path.
     */
    ONE_SAMPLE_UPPER_BOUND("one_sample_upper_bound");

    private final String wireName;

    KlKind(String wireName) {
        this.wireName = wireName;
    }

    /** The name in {@code AlignedResponse.kl_kind}. */
    public String wireName() {
        return wireName;
    }

    /** The kind with this wire name, if any. */
    public static Optional<KlKind> of(String wireName) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(wireName)).findFirst();
    }

    /** Every wire name, in declaration order. */
    public static List<String> wireNames() {
        return Arrays.stream(values()).map(KlKind::wireName).toList();
    }
}
