package org.alignstream.inference.lm;

import java.util.Arrays;
import java.util.Objects;

/**
 * One sequence's context as a {@link CausalLm} has read it: the token ids, the batch-1 {@link KvCache} holding every
 * one of them, and the logits at the last of them (the distribution of the next token). Made by
 * {@link CandidateGenerator#context}, which extends it by feeding only the tokens appended since; decoding from it
 * ({@link CandidateGenerator#sample(CachedContext, int[], org.alignstream.core.sampling.SamplingParams, int, long, int)},
 * {@link CandidateGenerator#rollouts(CachedContext, int[], org.alignstream.core.sampling.SamplingParams, int, long)})
 * copies its cache and leaves it unchanged, so the same context can be decoded from again or extended later.
 * Owns native memory: close it when done. Not thread-safe.
 */
public final class CachedContext implements KvCacheStore.Entry {

    private final CausalLm lm;
    private final int[] tokens;
    private final KvCache cache;
    private final float[] lastLogits;

    CachedContext(CausalLm lm, int[] tokens, KvCache cache, float[] lastLogits) {
        this.lm = Objects.requireNonNull(lm, "lm");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.lastLogits = Objects.requireNonNull(lastLogits, "lastLogits");
        if (cache.batchSize() != 1 || cache.length() != tokens.length) {
            throw new IllegalArgumentException("a context of " + tokens.length + " tokens needs a batch-1 cache of "
                    + "that length, got " + cache);
        }
    }

    /** The model that read these tokens. */
    public CausalLm model() {
        return lm;
    }

    /** Number of tokens read. */
    public int length() {
        return tokens.length;
    }

    /** A copy of the token ids read. */
    public int[] tokens() {
        return tokens.clone();
    }

    /** Whether the token ids read are the first {@link #length()} entries of {@code context} (or all of them). */
    @Override
    public boolean isPrefixOf(int[] context) {
        return context.length >= tokens.length && Arrays.equals(tokens, 0, tokens.length, context, 0, tokens.length);
    }

    KvCache cache() {
        return cache;
    }

    /** The logits at the last token (shared, do not modify). */
    float[] lastLogits() {
        return lastLogits;
    }

    /**
     * Memory this context holds: its key/value tensors, its logits, and when the cache still holds the output of the
     * single-token run that made it, that run's logits too.
     */
    @Override
    public long bytes() {
        long logits = (long) lastLogits.length * Float.BYTES;
        return cache.bytes() + logits * (cache.ownsRunOutput() ? 2 : 1) + (long) tokens.length * Integer.BYTES;
    }

    @Override
    public void close() {
        cache.close();
    }

    @Override
    public String toString() {
        return "CachedContext[" + tokens.length + " tokens, " + bytes() + " bytes]";
    }
}
