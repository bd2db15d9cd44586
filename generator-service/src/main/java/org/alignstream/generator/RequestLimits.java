package org.alignstream.generator;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.common.validation.StrategyParameters;
import org.alignstream.core.decoding.AlignmentMethod;

/**
 * Limits a prompt request must respect before any model work is done. A request outside them is
 * rejected with a reason a user can act on (and lands in dead-letters). The rules every stage checks are in
 * {@link RecordChecks}; these are the generator's configurable bounds on top of them.
 *
 * @param maxN largest number of candidates per prompt
 * @param maxNewTokens largest {@code max_new_tokens}
 * @param maxPromptChars longest prompt, in characters
 * @param maxTopK largest top-k
 * @param maxRolloutLength largest Transfer Q* rollout length L
 * @param rewardModels the reward model ids the scorers serve: a request naming another ({@code reward_model} or
 *     {@code baseline_reward_model}) is rejected before any sampling; empty: not checked here (the scorer rejects it,
 *     after the sampling)
 */
public record RequestLimits(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK, int maxRolloutLength,
                            Set<String> rewardModels) {

    /** The default rollout limit. */
    public static final int DEFAULT_MAX_ROLLOUT_LENGTH = RecordChecks.Bounds.DEFAULT_MAX_ROLLOUT_LENGTH;

    public RequestLimits(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK) {
        this(maxN, maxNewTokens, maxPromptChars, maxTopK, DEFAULT_MAX_ROLLOUT_LENGTH);
    }

    public RequestLimits(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK, int maxRolloutLength) {
        this(maxN, maxNewTokens, maxPromptChars, maxTopK, maxRolloutLength, Set.of());
    }

    public RequestLimits {
        requirePositive(maxRolloutLength, "max rollout length");
        requirePositive(maxN, "max n");
        requirePositive(maxNewTokens, "max new tokens");
        requirePositive(maxPromptChars, "max prompt chars");
        if (maxTopK < 0) {
            throw new IllegalArgumentException("max top-k must be >= 0, was " + maxTopK);
        }
        rewardModels = Set.copyOf(rewardModels == null ? Set.of() : rewardModels);
        for (String id : rewardModels) {
            if (id.isBlank()) {
                throw new IllegalArgumentException("a reward model id must not be blank");
            }
        }
    }

    private static void requirePositive(int value, String what) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, was " + value);
        }
    }

    /** The methods this generator can serve, by wire name. */
    public static final List<String> METHODS = AlignmentMethod.wireNames();

    public static RequestLimits defaults() {
        return new RequestLimits(64, 256, 4000, 1000);
    }

    /** These limits, checking reward model ids against {@code ids} (empty: not checked). */
    public RequestLimits withRewardModels(Set<String> ids) {
        return new RequestLimits(maxN, maxNewTokens, maxPromptChars, maxTopK, maxRolloutLength, ids);
    }

    /** The bounds part, as {@link RecordChecks} takes it. */
    public RecordChecks.Bounds bounds() {
        return new RecordChecks.Bounds(maxN, maxNewTokens, maxPromptChars, maxTopK, maxRolloutLength);
    }

    /**
     * Fills the method's defaults into {@code request}'s strategy ({@link #fillDefaults}), then throws
     * {@link InvalidRecordException} naming the first violated limit.
     */
    public void validate(PromptRequest request) {
        fillDefaults(request);
        AlignmentMethod method = RecordChecks.checkRequest(request, bounds());
        if (!rewardModels.isEmpty()) {
            Strategy s = request.getStrategy();
            checkRewardModel(s.getRewardModel(), "reward_model");
            if (method.needsBaselineRewards(StrategyParameters.of(s))) {
                checkRewardModel(s.getBaselineRewardModel(), "baseline_reward_model");
            }
        }
    }

    /**
     * Stamps {@code request} with the time the generator first read it ({@code received_at_ms}, where the answer's
     * pipeline time starts) and writes the method's defaults into its strategy where it left them out
     * ({@link StrategyParameters#withDefaults}), so that every later stage and the answer see the values the method ran
     * with; a request without a strategy or with an unknown method is left for the checks to report.
     */
    public static PromptRequest fillDefaults(PromptRequest request) {
        if (request.getReceivedAtMs() == 0) {
            request.setReceivedAtMs(System.currentTimeMillis()); // where the answer's pipeline time starts
        }
        Strategy s = request.getStrategy();
        if (s != null && AlignmentMethod.of(s.getMethod()).isPresent()) {
            request.setStrategy(StrategyParameters.withDefaults(s));
        }
        return request;
    }

    private void checkRewardModel(String id, String field) {
        if (id != null && !rewardModels.contains(id)) {
            throw new InvalidRecordException("unknown reward model '" + id + "' (" + field + "); the scorers serve "
                    + new TreeSet<>(rewardModels));
        }
    }

    /**
     * A decoding state from {@code decode-steps}: its request must be valid, its method stepwise, it must still have
     * room for at least one token and be consistent ({@link RecordChecks#checkDecodeState}).
     */
    public void validate(DecodeState state) {
        if (state.getRequest() == null) {
            throw new InvalidRecordException("decoding state has no request");
        }
        validate(state.getRequest());
        RecordChecks.checkDecodeState(state);
    }
}
