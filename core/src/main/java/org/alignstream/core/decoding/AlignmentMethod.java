package org.alignstream.core.decoding;

import static org.alignstream.core.decoding.MethodParameter.BASELINE_REWARD_MODEL;
import static org.alignstream.core.decoding.MethodParameter.BETA;
import static org.alignstream.core.decoding.MethodParameter.BLOCK_SIZE;
import static org.alignstream.core.decoding.MethodParameter.GREEDY;
import static org.alignstream.core.decoding.MethodParameter.N;
import static org.alignstream.core.decoding.MethodParameter.ROLLOUT_LENGTH;
import static org.alignstream.core.decoding.MethodParameter.TOP_K;
import static org.alignstream.core.decoding.MethodParameter.TRANSFER;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The decoding-time alignment methods a request can ask for, by their wire names ({@code Strategy.method}), and what
 * each stage needs to know about one: whether it decodes in rounds, how many candidates a round has and how many
 * tokens each appends, whether the scorer must add sentence embeddings or the baseline's rewards, which
 * {@code Strategy} parameters it takes and the rules they obey. The stages ask the method; they do not name methods.
 *
 * <p>Whole-response methods choose among N complete candidates in one pass (generator → scorer → selector).
 * Stepwise methods extend the response a token or a block at a time, looping selector → generator → scorer →
 * selector until the response ends.
 */
public enum AlignmentMethod {
    /** Best-of-N: the highest reward among N samples (N = 1 is plain sampling). */
    BEST_OF_N("best_of_n", Round.WHOLE_RESPONSE, N),
    /** Regularized Best-of-N with the KL (log-likelihood under pi_ref) regulariser (Jinnai et al. 2024). */
    RBON_KL("rbon_kl", Round.WHOLE_RESPONSE, N, BETA) {
        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            requireNonNegativeBeta(p, problems);
        }
    },
    /** Regularized Best-of-N with the Wasserstein (embedding distance) regulariser (Jinnai et al. 2024). */
    RBON_WD("rbon_wd", Round.WHOLE_RESPONSE, N, BETA) {
        @Override
        public boolean needsEmbeddings() {
            return true;
        }

        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            requireNonNegativeBeta(p, problems);
        }
    },
    /** ARGS: tokenwise, log pi_ref + w r over the top-k (Khanov et al. 2024). */
    ARGS("args", Round.TOKEN, TOP_K, BETA, GREEDY),
    /** PARGS: tokenwise, pi_ref exp(beta r) over the top-k with a partial-sequence reward model (Rashid et al. 2024). */
    PARGS("pargs", Round.TOKEN, TOP_K, BETA, GREEDY),
    /** Blockwise controlled decoding: best (or reward-weighted) of K sampled blocks of M tokens. */
    BLOCKWISE("blockwise", Round.BLOCK, N, BLOCK_SIZE, BETA, GREEDY) {
        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            if (p.blockSize() < 1 || p.blockSize() > p.maxNewTokens()) {
                problems.add(wireName() + " needs block_size M between 1 and max_new_tokens (" + p.maxNewTokens()
                        + "), was " + p.blockSize());
            }
        }
    },
    /** Transfer Q*: tokenwise, log pi_ref + alpha Q with Q from baseline-model rollouts (Chakraborty et al. 2024). */
    TQ_STAR("tq_star", Round.TOKEN, TOP_K, ROLLOUT_LENGTH, BETA, TRANSFER, BASELINE_REWARD_MODEL, GREEDY) {
        @Override
        public boolean needsBaselineModel() {
            return true;
        }

        @Override
        public boolean needsBaselineRewards(MethodParameters p) {
            return p.knownTransfer().orElse(null) == Transfer.INDIRECT;
        }

        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            if (p.rolloutLength() < 1 || p.rolloutLength() > maxRolloutLength) {
                problems.add(maxRolloutLength == Integer.MAX_VALUE
                        ? wireName() + " needs rollout_length L >= 1, was " + p.rolloutLength()
                        : wireName() + " needs rollout_length L between 1 and " + maxRolloutLength + ", was "
                                + p.rolloutLength());
            }
            Optional<Transfer> transfer = p.knownTransfer();
            if (transfer.isEmpty()) {
                problems.add("transfer must be " + Transfer.wireNames().stream().map(t -> "'" + t + "'")
                        .collect(Collectors.joining(" or ")) + ", was '" + p.transfer() + "'");
            } else if (transfer.get() == Transfer.INDIRECT) {
                if (!(p.beta() > 0)) {
                    problems.add("indirect transfer needs beta (alpha) > 0, was " + p.beta());
                }
                if (p.baselineRewardModel() == null || p.baselineRewardModel().isBlank()) {
                    problems.add("indirect transfer needs baseline_reward_model: the reward the baseline model was "
                            + "aligned to");
                }
            }
        }
    };

    /** What one decoding round appends to the response. */
    private enum Round {
        /** The whole response in one round: the method is not stepwise. */
        WHOLE_RESPONSE,
        /** One token, chosen among the top-k next tokens. */
        TOKEN,
        /** A block of up to M sampled tokens, chosen among N. */
        BLOCK
    }

    private final String wireName;
    private final Round round;
    private final Set<MethodParameter> parameters;

    AlignmentMethod(String wireName, Round round, MethodParameter... parameters) {
        this.wireName = wireName;
        this.round = round;
        this.parameters = Collections.unmodifiableSet(EnumSet.copyOf(Arrays.asList(parameters)));
    }

    /** The name in {@code Strategy.method}. */
    public String wireName() {
        return wireName;
    }

    /** Whether the method loops over decoding rounds (tokenwise or blockwise) rather than choosing once. */
    public boolean stepwise() {
        return round != Round.WHOLE_RESPONSE;
    }

    /** Whether each round's candidates are the top-k next tokens (args, pargs, tq_star). */
    public boolean tokenwise() {
        return round == Round.TOKEN;
    }

    /**
     * The {@code Strategy} parameters whose meaning or validity depends on this method and that it reads (see
     * {@link MethodParameter}); their defaults are {@link MethodParameter#defaultValue()}.
     */
    public Set<MethodParameter> parameters() {
        return parameters;
    }

    /** The parameter that says how many candidates a round has: top_k for a tokenwise method, else n. */
    public MethodParameter candidateCount() {
        return tokenwise() ? TOP_K : N;
    }

    /** How many candidates each round (the one round of a whole-response method) has. */
    public int candidatesPerRound(MethodParameters p) {
        return tokenwise() ? p.topK() : p.n();
    }

    /**
     * How many tokens a round appends to the response: 1 for a tokenwise method, M for blockwise (fewer only in a
     * block that ends the response), at most max_new_tokens for a whole-response method.
     */
    public int tokensPerRound(MethodParameters p) {
        return switch (round) {
            case TOKEN -> 1;
            case BLOCK -> p.blockSize();
            case WHOLE_RESPONSE -> p.maxNewTokens();
        };
    }

    /**
     * The most tokens a candidate may append to a response of {@code responseTokens} tokens: 1 for a tokenwise
     * method, a block of M without going past max_new_tokens for blockwise, max_new_tokens for a whole-response method
     * (whose candidates are whole responses).
     */
    public int maxCandidateTokens(MethodParameters p, int responseTokens) {
        return switch (round) {
            case TOKEN -> 1;
            case BLOCK -> Math.min(p.blockSize(), p.maxNewTokens() - responseTokens);
            case WHOLE_RESPONSE -> p.maxNewTokens();
        };
    }

    /** Whether each candidate is followed by a rollout of the baseline model, which the generator must have loaded. */
    public boolean needsBaselineModel() {
        return false;
    }

    /** The most rollout tokens a candidate may carry: rollout_length L for a method that rolls out, else 0. */
    public int maxRolloutTokens(MethodParameters p) {
        return needsBaselineModel() ? p.rolloutLength() : 0;
    }

    /** Whether the scorer must add a sentence embedding of each candidate (rbon_wd). */
    public boolean needsEmbeddings() {
        return false;
    }

    /**
     * Whether the scorer must also score each candidate with the baseline's reward model
     * ({@link MethodParameters#baselineRewardModel()}): tq_star with indirect transfer.
     */
    public boolean needsBaselineRewards(MethodParameters p) {
        return false;
    }

    /**
     * Every rule of this method's parameters that {@code p} breaks, as messages a user can act on, in a fixed order;
     * empty if none. The rules that hold for every method (n, max_new_tokens, top_k, temperature, top_p within range,
     * beta finite) are the caller's.
     *
     * @param maxRolloutLength the largest rollout length L accepted ({@link Integer#MAX_VALUE}: no upper limit)
     */
    public List<String> parameterProblems(MethodParameters p, int maxRolloutLength) {
        List<String> problems = new ArrayList<>();
        if (candidateCount() == TOP_K && p.topK() < 1) {
            problems.add(wireName + " needs top_k >= 1 (the k next tokens scored per step), was " + p.topK());
        }
        addParameterProblems(p, maxRolloutLength, problems);
        return problems;
    }

    /** Adds the rules particular to this method that {@code p} breaks; none by default. */
    void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
    }

    /** The rule of a regularisation strength: beta >= 0. */
    void requireNonNegativeBeta(MethodParameters p, List<String> problems) {
        if (p.beta() < 0) {
            problems.add(wireName + " needs beta >= 0, was " + p.beta());
        }
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
