package org.alignstream.core.decoding;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The decoding-time alignment methods a request can ask for, by their wire names ({@code Strategy.method}).
 *
 * <p>Whole-response methods choose among N complete candidates in one pass (generator → scorer → selector).
 * Stepwise methods extend the response a token or a block at a time, looping selector → generator → scorer →
 * selector until the response ends.
 */
public enum AlignmentMethod {
    /** Best-of-N: the highest reward among N samples (N = 1 is plain sampling). */
    BEST_OF_N("best_of_n", false),
    /** Regularized Best-of-N with the KL (log-likelihood under pi_ref) regulariser (Jinnai et al. 2024). */
    RBON_KL("rbon_kl", false),
    /** Regularized Best-of-N with the Wasserstein (embedding distance) regulariser (Jinnai et al. 2024). */
    RBON_WD("rbon_wd", false),
    /** ARGS: tokenwise, log pi_ref + w r over the top-k (Khanov et al. 2024). */
    ARGS("args", true),
    /** PARGS: tokenwise, pi_ref exp(beta r) over the top-k with a partial-sequence reward model (Rashid et al. 2024). */
    PARGS("pargs", true),
    /** Blockwise controlled decoding: best (or reward-weighted) of K sampled blocks of M tokens. */
    BLOCKWISE("blockwise", true),
    /** Transfer Q*: tokenwise, log pi_ref + alpha Q with Q from baseline-model rollouts (Chakraborty et al. 2024). */
    TQ_STAR("tq_star", true);

    private final String wireName;
    private final boolean stepwise;

    AlignmentMethod(String wireName, boolean stepwise) {
        this.wireName = wireName;
        this.stepwise = stepwise;
    }

    /** The name in {@code Strategy.method}. */
    public String wireName() {
        return wireName;
    }

    /** Whether the method loops over decoding rounds (tokenwise or blockwise) rather than choosing once. */
    public boolean stepwise() {
        return stepwise;
    }

    /** Whether each round's candidates are the top-k next tokens (args, pargs, tq_star). */
    public boolean tokenwise() {
        return this == ARGS || this == PARGS || this == TQ_STAR;
    }

    /** The method with this wire name, if any. */
    public static Optional<AlignmentMethod> of(String wireName) {
        for (AlignmentMethod m : values()) {
            if (m.wireName.equals(wireName)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** Every wire name, in declaration order. */
    public static List<String> wireNames() {
        return Arrays.stream(values()).map(AlignmentMethod::wireName).toList();
    }
}
