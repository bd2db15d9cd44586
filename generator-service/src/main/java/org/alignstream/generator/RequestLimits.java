package org.alignstream.generator;

import java.util.Set;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;

/**
 * Limits a prompt request must respect before any model work is done. A request outside them is
 * rejected with a reason a user can act on (and lands in dead-letters).
 *
 * @param maxN largest number of candidates per prompt
 * @param maxNewTokens largest {@code max_new_tokens}
 * @param maxPromptChars longest prompt, in characters
 * @param maxTopK largest top-k
 */
public record RequestLimits(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK) {

    public RequestLimits {
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

    /** The methods this generator can serve. */
    public static final Set<String> METHODS = Set.of("best_of_n");

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
        if (s.getMethod() == null || !METHODS.contains(s.getMethod())) {
            throw new InvalidRecordException("unknown method '" + s.getMethod() + "', expected one of " + METHODS);
        }
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
    }
}
