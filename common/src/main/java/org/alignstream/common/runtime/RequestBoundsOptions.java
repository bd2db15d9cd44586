package org.alignstream.common.runtime;

import org.alignstream.common.validation.RecordChecks;
import picocli.CommandLine.Option;

/**
 * The upper limits a prompt request is checked against (a picocli mixin, {@code @Mixin RequestBoundsOptions bounds}),
 * declared once for the generator, which enforces them, and the gateway, which refuses what the generator would:
 * {@code --max-n}, {@code --max-new-tokens}, {@code --max-prompt-chars}, {@code --max-top-k} and
 * {@code --max-rollout-length}, with the defaults of {@link RecordChecks.Bounds} (each also from its
 * {@code ALIGNSTREAM_*} variable through {@link EnvironmentDefaultProvider}). Each command checks the values itself.
 */
public final class RequestBoundsOptions {

    @Option(names = "--max-n", defaultValue = "" + RecordChecks.Bounds.DEFAULT_MAX_N, paramLabel = "N",
            description = "Largest n accepted (default: ${DEFAULT-VALUE})")
    int maxN;

    @Option(names = "--max-new-tokens", defaultValue = "" + RecordChecks.Bounds.DEFAULT_MAX_NEW_TOKENS, paramLabel = "N",
            description = "Largest max_new_tokens accepted (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--max-prompt-chars", defaultValue = "" + RecordChecks.Bounds.DEFAULT_MAX_PROMPT_CHARS,
            paramLabel = "N", description = "Longest prompt accepted, in characters (default: ${DEFAULT-VALUE})")
    int maxPromptChars;

    @Option(names = "--max-top-k", defaultValue = "" + RecordChecks.Bounds.DEFAULT_MAX_TOP_K, paramLabel = "K",
            description = "Largest top_k accepted (default: ${DEFAULT-VALUE})")
    int maxTopK;

    @Option(names = "--max-rollout-length", defaultValue = "" + RecordChecks.Bounds.DEFAULT_MAX_ROLLOUT_LENGTH,
            paramLabel = "L", description = "Largest Transfer Q* rollout_length accepted (default: ${DEFAULT-VALUE})")
    int maxRolloutLength;

    /** {@code --max-n}. */
    public int maxN() {
        return maxN;
    }

    /** {@code --max-new-tokens}. */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** {@code --max-prompt-chars}. */
    public int maxPromptChars() {
        return maxPromptChars;
    }

    /** {@code --max-top-k}. */
    public int maxTopK() {
        return maxTopK;
    }

    /** {@code --max-rollout-length}. */
    public int maxRolloutLength() {
        return maxRolloutLength;
    }

    /** The values as given, unchecked. */
    public RecordChecks.Bounds bounds() {
        return new RecordChecks.Bounds(maxN, maxNewTokens, maxPromptChars, maxTopK, maxRolloutLength);
    }
}
