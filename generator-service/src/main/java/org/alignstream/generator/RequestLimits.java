package org.alignstream.generator;

import java.util.List;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.core.decoding.AlignmentMethod;

/**
 * Limits a prompt request must respect before any model work is done. A request outside them is
 * rejected with a reason a user can act on (and lands in dead-letters).
 *
 * @param maxN largest number of candidates per prompt
 * @param maxNewTokens largest {@code max_new_tokens}
 * @param maxPromptChars longest prompt, in characters
 * @param maxTopK largest top-k
 * @param maxRolloutLength largest Transfer Q* rollout length L
 */
public record RequestLimits(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK, int maxRolloutLength) {

    /** The default rollout limit. */
    public static final int DEFAULT_MAX_ROLLOUT_LENGTH = 64;

    public RequestLimits(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK) {
        this(maxN, maxNewTokens, maxPromptChars, maxTopK, DEFAULT_MAX_ROLLOUT_LENGTH);
    }

    public RequestLimits {
        requirePositive(maxRolloutLength, "max rollout length");
        requirePositive(maxN, "max n");
        requirePositive(maxNewTokens, "max new tokens");
        requirePositive(maxPromptChars, "max prompt chars");
        if (maxTopK < 0) {
            throw new IllegalArgumentException("max top-k must be >= 0, was " + maxTopK);
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

    /** Throws {@link InvalidRecordException} naming the first violated limit. */
    public void validate(PromptRequest request) {
        if (request.getId() == null || request.getId().isBlank()) {
            throw new InvalidRecordException("request id is empty");
        }
        if (request.getPrompt() == null || request.getPrompt().isBlank()) {
            throw new InvalidRecordException("prompt is empty");
        }
        if (request.getPrompt().length() > maxPromptChars) {
            throw new InvalidRecordException("prompt has " + request.getPrompt().length()
                    + " characters, the limit is " + maxPromptChars);
        }
        Strategy s = request.getStrategy();
        if (s == null) {
            throw new InvalidRecordException("strategy is missing");
        }
        AlignmentMethod method = AlignmentMethod.of(s.getMethod()).orElseThrow(() ->
                new InvalidRecordException("unknown method '" + s.getMethod() + "', expected one of " + METHODS));
        if (s.getN() < 1 || s.getN() > maxN) {
            throw new InvalidRecordException("n must be between 1 and " + maxN + ", was " + s.getN());
        }
        if (s.getMaxNewTokens() < 1 || s.getMaxNewTokens() > maxNewTokens) {
            throw new InvalidRecordException("max_new_tokens must be between 1 and " + maxNewTokens + ", was "
                    + s.getMaxNewTokens());
        }
        if (s.getTopK() < 0 || s.getTopK() > maxTopK) {
            throw new InvalidRecordException("top_k must be between 0 (off) and " + maxTopK + ", was " + s.getTopK());
        }
        if (!Double.isFinite(s.getTemperature()) || s.getTemperature() < 0) {
            throw new InvalidRecordException("temperature must be finite and >= 0 (0 = greedy), was " + s.getTemperature());
        }
        if (!(s.getTopP() > 0 && s.getTopP() <= 1)) {
            throw new InvalidRecordException("top_p must be in (0, 1], was " + s.getTopP());
        }
        if (!Double.isFinite(s.getBeta())) {
            throw new InvalidRecordException("beta must be finite, was " + s.getBeta());
        }
        validateMethodParameters(method, s);
    }

    /** The parameters only some methods use. */
    private void validateMethodParameters(AlignmentMethod method, Strategy s) {
        if (method.tokenwise() && s.getTopK() < 1) {
            throw new InvalidRecordException(method.wireName() + " needs top_k >= 1 (the k next tokens scored per step), was "
                    + s.getTopK());
        }
        if (method == AlignmentMethod.BLOCKWISE && (s.getBlockSize() < 1 || s.getBlockSize() > s.getMaxNewTokens())) {
            throw new InvalidRecordException("blockwise needs block_size M between 1 and max_new_tokens ("
                    + s.getMaxNewTokens() + "), was " + s.getBlockSize());
        }
        if (method == AlignmentMethod.TQ_STAR) {
            if (s.getRolloutLength() < 1 || s.getRolloutLength() > maxRolloutLength) {
                throw new InvalidRecordException("tq_star needs rollout_length L between 1 and " + maxRolloutLength
                        + ", was " + s.getRolloutLength());
            }
            if (!"direct".equals(s.getTransfer()) && !"indirect".equals(s.getTransfer())) {
                throw new InvalidRecordException("transfer must be 'direct' or 'indirect', was '" + s.getTransfer() + "'");
            }
            if ("indirect".equals(s.getTransfer())) {
                if (!(s.getBeta() > 0)) {
                    throw new InvalidRecordException("indirect transfer needs beta (alpha) > 0, was " + s.getBeta());
                }
                if (s.getBaselineRewardModel() == null || s.getBaselineRewardModel().isBlank()) {
                    throw new InvalidRecordException("indirect transfer needs baseline_reward_model: the reward the "
                            + "baseline model was aligned to");
                }
            }
        }
        if ((method == AlignmentMethod.RBON_KL || method == AlignmentMethod.RBON_WD) && s.getBeta() < 0) {
            throw new InvalidRecordException(method.wireName() + " needs beta >= 0, was " + s.getBeta());
        }
    }

    /**
     * A decoding state from {@code decode-steps}: its request must be valid, its method stepwise, and it must
     * still have room for at least one token.
     */
    public void validate(DecodeState state) {
        if (state.getRequest() == null) {
            throw new InvalidRecordException("decoding state has no request");
        }
        validate(state.getRequest());
        AlignmentMethod method = AlignmentMethod.of(state.getRequest().getStrategy().getMethod()).orElseThrow();
        String id = state.getRequest().getId();
        if (!method.stepwise()) {
            throw new InvalidRecordException("request " + id + ": " + method.wireName() + " is not a stepwise method");
        }
        if (state.getFinished()) {
            throw new InvalidRecordException("request " + id + ": the decoding is already finished");
        }
        if (state.getPromptTokenIds() == null || state.getPromptTokenIds().isEmpty()) {
            throw new InvalidRecordException("request " + id + ": decoding state has no prompt tokens");
        }
        if (state.getTokenIds().size() != state.getLogprobs().size()) {
            throw new InvalidRecordException("request " + id + ": decoding state has " + state.getTokenIds().size()
                    + " tokens but " + state.getLogprobs().size() + " log-probabilities");
        }
        if (state.getTokenIds().size() >= state.getRequest().getStrategy().getMaxNewTokens()) {
            throw new InvalidRecordException("request " + id + ": decoding state already has "
                    + state.getTokenIds().size() + " tokens, max_new_tokens is "
                    + state.getRequest().getStrategy().getMaxNewTokens());
        }
        if (state.getRound() < 0) {
            throw new InvalidRecordException("request " + id + ": round must be >= 0, was " + state.getRound());
        }
    }
}
