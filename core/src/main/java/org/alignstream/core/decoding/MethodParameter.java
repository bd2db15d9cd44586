package org.alignstream.core.decoding;

/**
 * A field of {@code Strategy} whose meaning or validity depends on the method: what {@link AlignmentMethod#parameters()}
 * lists. Every method also reads the fields whose meaning is the same for all (max_new_tokens, temperature, top_p,
 * top_k as a sampling filter, seed, reward_model, reward_model_version); those are not listed.
 */
public enum MethodParameter {
    /** Number of candidates N (speculative_rejection: the batch it starts with); continuations K per block for blockwise. */
    N("n"),
    /** The k next tokens scored per round. */
    TOP_K("top_k"),
    /**
     * Regularisation strength (rbon_*), temperature lambda of exp(R / lambda) (soft_bon), reward weight w (args), beta
     * (pargs, blockwise), alpha (tq_star).
     */
    BETA("beta"),
    /** Tokens per block M (blockwise); tokens between checkpoints (speculative_rejection). */
    BLOCK_SIZE("block_size"),
    /** Tokens L the baseline model rolls out after each candidate token. */
    ROLLOUT_LENGTH("rollout_length"),
    /** Take the best-scoring choice (true) or sample from the method's distribution (false); null: the method's default. */
    GREEDY("greedy"),
    /** Direct or indirect transfer ({@link Transfer}). */
    TRANSFER("transfer"),
    /** The reward model the baseline model was aligned to (indirect transfer). */
    BASELINE_REWARD_MODEL("baseline_reward_model"),
    /** The KL strength beta_BL of indirect transfer's importance ratio exp((r - r_BL) / beta_BL). */
    BASELINE_BETA("baseline_beta"),
    /** Rollouts m per candidate token, averaged into Q. */
    ROLLOUTS("rollouts"),
    /** The reward model kind the request expects ({@link RewardModelKind}; null: the method's default). */
    REWARD_MODEL_KIND("reward_model_kind"),
    /** The fraction alpha of the ranked candidates speculative rejection stops at each checkpoint. */
    REJECTION_RATE("rejection_rate");

    private final String wireName;

    MethodParameter(String wireName) {
        this.wireName = wireName;
    }

    /** The field's name in {@code Strategy}. */
    public String wireName() {
        return wireName;
    }

    /** This parameter's value in {@code values}, boxed (null for an absent baseline reward model, greedy or kind). */
    public Object valueIn(MethodParameters values) {
        return switch (this) {
            case N -> values.n();
            case TOP_K -> values.topK();
            case BETA -> values.beta();
            case BLOCK_SIZE -> values.blockSize();
            case ROLLOUT_LENGTH -> values.rolloutLength();
            case GREEDY -> values.greedy();
            case TRANSFER -> values.transfer();
            case BASELINE_REWARD_MODEL -> values.baselineRewardModel();
            case BASELINE_BETA -> values.baselineBeta();
            case ROLLOUTS -> values.rollouts();
            case REWARD_MODEL_KIND -> values.rewardModelKind();
            case REJECTION_RATE -> values.rejectionRate();
        };
    }

    /** The value a request gets when it leaves this parameter out ({@link MethodParameters#DEFAULTS}). */
    public Object defaultValue() {
        return valueIn(MethodParameters.DEFAULTS);
    }
}
