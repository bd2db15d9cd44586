package org.alignstream.core.sampling;

import java.util.SplittableRandom;

/**
 * Counter-based random streams: the generator for decoding step {@code step} of stream (candidate)
 * {@code stream} under a request seed is a pure function of {@code (seed, stream, step)}. A sampled
 * token therefore never depends on how much randomness earlier steps consumed, on which other streams
 * were decoded in the same batch, or on how decoding was split across processes or Kafka records.
 *
 * <p>The three values are combined with the SplitMix64 finaliser (Steele, Lea &amp; Flood 2014): the
 * seed is mixed, {@code (stream, step)} is packed injectively into one 64-bit word and added, and the sum
 * is mixed again. For a fixed seed, distinct {@code (stream, step)} pairs therefore give distinct
 * generator seeds.
 */
public final class Seeds {

    /**
     * Stream id used for the selector's own randomness (never a candidate stream). Candidate streams are
     * numbered from 0, so {@code SELECTION_STREAM} and {@code SELECTION_STREAM - 1} (used by {@link #forRound})
     * are reserved.
     */
    public static final int SELECTION_STREAM = Integer.MAX_VALUE;

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private Seeds() {
    }

    /** A fresh generator for {@code (seed, stream, step)}; {@code stream} and {@code step} must be >= 0. */
    public static SplittableRandom forStep(long seed, int stream, int step) {
        return new SplittableRandom(mix(seed, stream, step));
    }

    /**
     * The seed of decoding round {@code round} of a request seeded {@code seed}: a pure function, distinct
     * rounds give distinct seeds. It is {@code mix(seed, SELECTION_STREAM - 1, round)}, so it never equals the
     * seed of a candidate stream's step under the same request seed.
     */
    public static long forRound(long seed, int round) {
        if (round < 0) {
            throw new IllegalArgumentException("round must be >= 0, got " + round);
        }
        return mix(seed, SELECTION_STREAM - 1, round);
    }

    /** The 64-bit generator seed derived from {@code (seed, stream, step)}. */
    public static long mix(long seed, int stream, int step) {
        if (stream < 0) {
            throw new IllegalArgumentException("stream must be >= 0, got " + stream);
        }
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        long counter = ((long) stream << 32) | (step & 0xffffffffL);
        return mix64(mix64(seed + GOLDEN_GAMMA) + counter);
    }

    /** The SplitMix64 output function (variant 13 of Stafford's mixers): a bijection on 64-bit words. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
