package org.alignstream.core.decoding;

import static org.alignstream.core.decoding.MethodParameter.BASELINE_BETA;
import static org.alignstream.core.decoding.MethodParameter.BASELINE_REWARD_MODEL;
import static org.alignstream.core.decoding.MethodParameter.BETA;
import static org.alignstream.core.decoding.MethodParameter.BLOCK_SIZE;
import static org.alignstream.core.decoding.MethodParameter.GREEDY;
import static org.alignstream.core.decoding.MethodParameter.N;
import static org.alignstream.core.decoding.MethodParameter.REJECTION_RATE;
import static org.alignstream.core.decoding.MethodParameter.REWARD_MODEL_KIND;
import static org.alignstream.core.decoding.MethodParameter.ROLLOUTS;
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
    BEST_OF_N("best_of_n", Round.WHOLE_RESPONSE, N) {
        @Override
        public KlKind klKind(MethodParameters p) {
            return KlKind.EXACT_OVER_CANDIDATES;
        }
    },
    /** Regularized Best-of-N with the KL (log-likelihood under pi_ref) regulariser (Jinnai et al. 2024). */
    RBON_KL("rbon_kl", Round.WHOLE_RESPONSE, N, BETA) {
        @Override
        public KlKind klKind(MethodParameters p) {
            return KlKind.EXACT_OVER_CANDIDATES;
        }

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

        /** Its objective depends on the whole set, so only the bound of any choice among N draws, log N, is cheap. */
        @Override
        public KlKind klKind(MethodParameters p) {
            return KlKind.UPPER_BOUND;
        }

        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            requireNonNegativeBeta(p, problems);
        }
    },
    /**
     * Soft Best-of-N (Verdun et al. 2025): candidate i among N samples with probability ∝ exp(R_i / lambda), lambda
     * being {@code beta} (0, the default: Best-of-N; large: plain sampling); the draw is seeded by the request's seed.
     */
    SOFT_BON("soft_bon", Round.WHOLE_RESPONSE, N, BETA) {
        /**
         * beta 0 is Best-of-N, whose exact figure over the candidates is cheap; otherwise the exact KL of the soft
         * choice from the uniform one given the drawn candidates, which bounds the KL in expectation over them.
         */
        @Override
        public KlKind klKind(MethodParameters p) {
            return p.beta() == 0.0 ? KlKind.EXACT_OVER_CANDIDATES : KlKind.ONE_SAMPLE_UPPER_BOUND;
        }

        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            requireNonNegativeBeta(p, problems);
        }
    },
    /**
     * ARGS: tokenwise, log pi_ref + w r over the top-k (Khanov et al. 2024); sampled, the scores are divided by the
     * request's temperature before the softmax, as in the reference code.
     */
    ARGS("args", Round.TOKEN, TOP_K, BETA, GREEDY) {
        @Override
        public KlKind klKind(MethodParameters p) {
            return greedy(p) || p.temperature() == 0 ? KlKind.EXACT : KlKind.ONE_SAMPLE_ESTIMATE;
        }
    },
    /**
     * PARGS: tokenwise, pi_ref exp(beta r) over the top-k with a partial-sequence reward model (Rashid et al. 2024):
     * samples by default and expects a partial-sequence model unless the request names another kind.
     */
    PARGS("pargs", Round.TOKEN, TOP_K, BETA, GREEDY, REWARD_MODEL_KIND) {
        @Override
        boolean defaultGreedy() {
            return false;
        }

        @Override
        RewardModelKind defaultRewardModelKind() {
            return RewardModelKind.PARTIAL_SEQUENCE;
        }

        @Override
        public KlKind klKind(MethodParameters p) {
            return greedy(p) ? KlKind.EXACT : KlKind.ONE_SAMPLE_ESTIMATE;
        }
    },
    /** Blockwise controlled decoding: best (or reward-weighted) of K sampled blocks of M tokens. */
    BLOCKWISE("blockwise", Round.BLOCK, N, BLOCK_SIZE, BETA, GREEDY) {
        @Override
        public KlKind klKind(MethodParameters p) {
            return greedy(p) ? KlKind.UPPER_BOUND : KlKind.ONE_SAMPLE_UPPER_BOUND;
        }

        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            if (p.blockSize() < 1 || p.blockSize() > p.maxNewTokens()) {
                problems.add(wireName() + " needs block_size M between 1 and max_new_tokens (" + p.maxNewTokens()
                        + "), was " + p.blockSize());
            }
        }
    },
    /**
     * Transfer Q*: tokenwise, log pi_ref + alpha Q with Q the mean over m rollouts of the baseline model
     * (Chakraborty et al. 2024); the rollouts are sampled at the request's temperature, greedy at temperature 0 (as
     * the reference code's).
     */
    TQ_STAR("tq_star", Round.TOKEN, TOP_K, ROLLOUT_LENGTH, ROLLOUTS, BETA, TRANSFER, BASELINE_REWARD_MODEL,
            BASELINE_BETA, GREEDY) {
        @Override
        public boolean needsBaselineModel() {
            return true;
        }

        @Override
        public int rolloutsPerCandidate(MethodParameters p) {
            return p.rollouts();
        }

        /** With sampled rollouts each round's choice is conditional on random rollouts: a bound in expectation. */
        @Override
        public KlKind klKind(MethodParameters p) {
            if (p.temperature() > 0) {
                return KlKind.ONE_SAMPLE_UPPER_BOUND;
            }
            return greedy(p) ? KlKind.EXACT : KlKind.ONE_SAMPLE_ESTIMATE;
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
            if (p.rollouts() < 1 || p.rollouts() > MAX_ROLLOUTS) {
                problems.add(wireName() + " needs rollouts m between 1 and " + MAX_ROLLOUTS + ", was " + p.rollouts());
            } else if (p.rollouts() > 1 && p.temperature() == 0) {
                problems.add(wireName() + " with temperature 0 rolls out greedily, so rollouts m = " + p.rollouts()
                        + " would repeat one rollout: use rollouts 1 or a temperature > 0");
            }
            Optional<Transfer> transfer = p.knownTransfer();
            if (transfer.isEmpty()) {
                problems.add("transfer must be " + Transfer.wireNames().stream().map(t -> "'" + t + "'")
                        .collect(Collectors.joining(" or ")) + ", was '" + p.transfer() + "'");
            } else if (transfer.get() == Transfer.INDIRECT) {
                if (!(p.baselineBeta() > 0) || Double.isInfinite(p.baselineBeta())) {
                    problems.add("indirect transfer needs baseline_beta (beta_BL of exp((r - r_BL) / beta_BL)) finite"
                            + " and > 0, was " + p.baselineBeta());
                }
                if (p.baselineRewardModel() == null || p.baselineRewardModel().isBlank()) {
                    problems.add("indirect transfer needs baseline_reward_model: the reward the baseline model was "
                            + "aligned to");
                }
            }
        }
    },
    /**
     * Speculative rejection (Sun et al. 2024): N candidates sampled together, extended block_size tokens per round;
     * at each checkpoint the candidates' texts so far are scored (a partial-sequence reward model unless the request
     * names another kind), the lowest-reward fraction rejection_rate of them stopped, and at the end the highest
     * reward among the complete candidates chosen ({@code core.selection.SpeculativeRejection}). Candidate i draws
     * its tokens from Best-of-N's stream i, so rejection_rate 0 is Best-of-N.
     */
    SPECULATIVE_REJECTION("speculative_rejection", Round.CHECKPOINT, N, BLOCK_SIZE, REJECTION_RATE,
            REWARD_MODEL_KIND) {
        @Override
        RewardModelKind defaultRewardModelKind() {
            return RewardModelKind.PARTIAL_SEQUENCE;
        }

        /** Any rule choosing one of N independent draws from pi_ref has KL at most log N. */
        @Override
        public KlKind klKind(MethodParameters p) {
            return KlKind.UPPER_BOUND;
        }

        @Override
        void addParameterProblems(MethodParameters p, int maxRolloutLength, List<String> problems) {
            if (p.blockSize() < 1 || p.blockSize() > p.maxNewTokens()) {
                problems.add(wireName() + " needs block_size (tokens between checkpoints) between 1 and "
                        + "max_new_tokens (" + p.maxNewTokens() + "), was " + p.blockSize());
            }
            if (!(p.rejectionRate() >= 0.0 && p.rejectionRate() < 1.0)) {
                problems.add(wireName() + " needs rejection_rate in [0, 1) (the fraction stopped at each "
                        + "checkpoint), was " + p.rejectionRate());
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
        BLOCK,
        /** A block of up to M sampled tokens for each candidate still going, then a checkpoint that stops some. */
        CHECKPOINT
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

    /**
     * Whether the method carries several candidates from round to round and stops some at each checkpoint
     * (speculative_rejection): a round's candidates are the kept candidates still going, each extended by a block,
     * and the response is chosen only at the end.
     */
    public boolean prunes() {
        return round == Round.CHECKPOINT;
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

    /**
     * How many candidates each round (the one round of a whole-response method) has; for a method that
     * {@link #prunes()}, the first round's (later rounds have the candidates still going).
     */
    public int candidatesPerRound(MethodParameters p) {
        return tokenwise() ? p.topK() : p.n();
    }

    /**
     * How many tokens a round appends to the response: 1 for a tokenwise method, M for blockwise and to each
     * candidate of speculative_rejection (fewer only in a block that ends the response), at most max_new_tokens for a
     * whole-response method.
     */
    public int tokensPerRound(MethodParameters p) {
        return switch (round) {
            case TOKEN -> 1;
            case BLOCK, CHECKPOINT -> p.blockSize();
            case WHOLE_RESPONSE -> p.maxNewTokens();
        };
    }

    /**
     * The most tokens a candidate may append to a response of {@code responseTokens} tokens: 1 for a tokenwise
     * method, a block of M without going past max_new_tokens for blockwise and speculative_rejection (whose candidates
     * all have {@code responseTokens} before the round), max_new_tokens for a whole-response method
     * (whose candidates are whole responses).
     */
    public int maxCandidateTokens(MethodParameters p, int responseTokens) {
        return switch (round) {
            case TOKEN -> 1;
            case BLOCK, CHECKPOINT -> Math.min(p.blockSize(), p.maxNewTokens() - responseTokens);
            case WHOLE_RESPONSE -> p.maxNewTokens();
        };
    }

    /** Whether each candidate is followed by a rollout of the baseline model, which the generator must have loaded. */
    public boolean needsBaselineModel() {
        return false;
    }

    /** Rollouts per candidate token: rollouts m for a method that rolls out, else 0. */
    public int rolloutsPerCandidate(MethodParameters p) {
        return 0;
    }

    /** The k a tokenwise method scores per round when the request leaves top_k at 0 (the ARGS paper's k). */
    public static final int DEFAULT_TOP_K = 10;
    /** Tokens per block, or between checkpoints, when the request leaves block_size at 0 (at most max_new_tokens). */
    public static final int DEFAULT_BLOCK_SIZE = 4;
    /** Rollout tokens L when a tq_star request leaves rollout_length at 0. */
    public static final int DEFAULT_ROLLOUT_LENGTH = 8;

    /**
     * The candidates N a request gets when it leaves n at 0: 8 for the whole-response methods, K = 4 continuations
     * per block for blockwise, a batch of 32 for speculative rejection; 1 (unused) for the tokenwise methods.
     */
    public int defaultN() {
        return switch (round) {
            case WHOLE_RESPONSE -> 8;
            case BLOCK -> 4;
            case CHECKPOINT -> 32;
            case TOKEN -> 1;
        };
    }

    /**
     * The beta a request gets when it leaves beta out: 1 for the tokenwise and blockwise methods (reward weight w,
     * beta, alpha), the evaluated RBoN strengths (0.02 for the KL regulariser, 10 for the Wasserstein one),
     * lambda 0.5 for soft Best-of-N; 0 where the method reads no beta.
     */
    public double defaultBeta() {
        return switch (this) {
            case RBON_KL -> 0.02;
            case RBON_WD -> 10.0;
            case SOFT_BON -> 0.5;
            case ARGS, PARGS, BLOCKWISE, TQ_STAR -> 1.0;
            case BEST_OF_N, SPECULATIVE_REJECTION -> 0.0;
        };
    }

    /**
     * {@code p} with the method's defaults in place of the parameters a request left at 0, which no method that reads
     * them accepts: n ({@link #defaultN}), top_k of a tokenwise method ({@link #DEFAULT_TOP_K}; for the others 0 keeps
     * its meaning, no top-k filter), block_size ({@link #DEFAULT_BLOCK_SIZE}, at most max_new_tokens) and
     * rollout_length ({@link #DEFAULT_ROLLOUT_LENGTH}). A request's explicit values are kept as they are, valid or not.
     */
    public MethodParameters withDefaults(MethodParameters p) {
        int n = p.n() == 0 ? defaultN() : p.n();
        int topK = p.topK() == 0 && tokenwise() ? DEFAULT_TOP_K : p.topK();
        int blockSize = p.blockSize() == 0 && parameters.contains(BLOCK_SIZE) && p.maxNewTokens() >= 1
                ? Math.min(DEFAULT_BLOCK_SIZE, p.maxNewTokens()) : p.blockSize();
        int rolloutLength = p.rolloutLength() == 0 && needsBaselineModel() ? DEFAULT_ROLLOUT_LENGTH
                : p.rolloutLength();
        return new MethodParameters(n, topK, p.beta(), p.maxNewTokens(), blockSize, rolloutLength, p.greedy(),
                p.transfer(), p.baselineRewardModel(), p.temperature(), p.baselineBeta(), p.rollouts(),
                p.rewardModelKind(), p.rejectionRate());
    }

    /** The most rollouts a candidate may carry (rollouts m). */
    public static final int MAX_ROLLOUTS = 16;

    /** Whether a stepwise method takes the best-scoring choice: the request's greedy, else the method's default. */
    public boolean greedy(MethodParameters p) {
        return p.greedy() != null ? p.greedy() : defaultGreedy();
    }

    /** What a request that leaves greedy out gets: true, except for pargs (which samples, as the paper's PARGS). */
    boolean defaultGreedy() {
        return true;
    }

    /**
     * The kind of reward model the request needs, if any: the request's reward_model_kind, else the method's default
     * (partial-sequence for pargs and speculative_rejection; any kind for the others). The scorer refuses a model of another kind.
     */
    public Optional<RewardModelKind> expectedRewardModelKind(MethodParameters p) {
        if (p.rewardModelKind() != null) {
            return RewardModelKind.of(p.rewardModelKind());
        }
        return Optional.ofNullable(defaultRewardModelKind());
    }

    /** The kind of reward model the method expects when the request names none; null: any kind. */
    RewardModelKind defaultRewardModelKind() {
        return null;
    }

    /**
     * What the response's KL figure is for a request with these parameters ({@link KlKind}). Whole-response methods
     * whose candidates are all one text report {@link KlKind#EXACT_OVER_CANDIDATES} (0) whatever this says.
     */
    public KlKind klKind(MethodParameters p) {
        throw new UnsupportedOperationException(wireName + " has no KL kind");
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
        if (p.rewardModelKind() != null && RewardModelKind.of(p.rewardModelKind()).isEmpty()) {
            problems.add("reward_model_kind must be one of " + RewardModelKind.wireNames() + " or absent, was '"
                    + p.rewardModelKind() + "'");
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
