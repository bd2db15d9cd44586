package org.alignstream.generator;

import java.util.Locale;

/**
 * Whether the generator merges the LM calls of concurrent requests ({@code --generator-batching}): the decoding steps of
 * Best-of-N samplings, blockwise blocks and Transfer Q* rollouts, and the one-token readings of tokenwise rounds, of
 * requests handled together run as one padded call per step.
 */
public enum GeneratorBatching {
    /** One call per request, as without batching. */
    OFF,
    /**
     * Merge only requests whose results are shown bit-identical to their own calls: the model is probed once at load
     * ({@link org.alignstream.inference.lm.LmBatchInvariance}), and only rows of past lengths in the same class (equal
     * modulo the alignment the probe found) share a call; a model the probe rejects gets one call per request.
     */
    INVARIANT,
    /**
     * Merge every request (rows of any lengths) for throughput; a response may then differ from its per-request one
     * where two candidates' logits are within the rounding the padding introduces (measured: up to 6.7e-6 on the
     * bundled lm-austen), so this trades bit-identity for throughput. Never for a model without position_ids.
     */
    ALWAYS;

    /** Parses {@code off}, {@code invariant} or {@code always} (any case). */
    public static GeneratorBatching parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("generator batching must be off, invariant or always, got '" + value
                    + "'");
        }
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
