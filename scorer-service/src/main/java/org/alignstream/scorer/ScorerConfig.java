package org.alignstream.scorer;

import java.util.Objects;
import org.alignstream.inference.reward.AttentionCredit;

/**
 * How the scorer stage runs ({@link ScorerTopology#build}): what a candidate set may hold ({@link Limits}), whether
 * per-token credit is computed ({@link CreditOptions}) and how candidate sets of concurrent requests are batched
 * ({@link Batching}). {@link #DEFAULT} is the scorer's defaults; the {@code with} methods change one part.
 */
public record ScorerConfig(Limits limits, CreditOptions credit, Batching batching) {

    /** The scorer's defaults: {@link Limits#DEFAULT}, {@link CreditOptions#DEFAULT}, {@link Batching#DEFAULT}. */
    public static final ScorerConfig DEFAULT = new ScorerConfig(Limits.DEFAULT, CreditOptions.DEFAULT,
            Batching.DEFAULT);

    public ScorerConfig {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(credit, "credit");
        Objects.requireNonNull(batching, "batching");
    }

    public ScorerConfig withLimits(Limits limits) {
        return new ScorerConfig(limits, credit, batching);
    }

    public ScorerConfig withCredit(CreditOptions credit) {
        return new ScorerConfig(limits, credit, batching);
    }

    public ScorerConfig withBatching(Batching batching) {
        return new ScorerConfig(limits, credit, batching);
    }

    /**
     * Whether to compute per-token credit, the share beta of the reward an encoder model spreads by attention and the
     * attention row it reads ({@code --token-credit}, {@code --dense-credit-beta}, {@code --dense-credit-row}).
     */
    public record CreditOptions(boolean enabled, double beta, AttentionCredit.Row row) {
        public CreditOptions {
            if (!(beta >= 0 && beta <= 1)) {
                throw new IllegalArgumentException("credit beta must be in [0, 1], was " + beta);
            }
            Objects.requireNonNull(row, "row");
        }

        /** With the default row ({@link AttentionCredit#DEFAULT_ROW}, the mean over query rows). */
        public CreditOptions(boolean enabled, double beta) {
            this(enabled, beta, AttentionCredit.DEFAULT_ROW);
        }

        /** The scorer's defaults: on, beta 0.5. */
        public static final CreditOptions DEFAULT = new CreditOptions(true, 0.5);
        public static final CreditOptions OFF = new CreditOptions(false, 0.5);
    }

    /**
     * What the scorer accepts before any model work: at most {@code maxCandidates} candidates in a set (one batch) and
     * texts (each candidate's, and the prompt) of at most {@code maxTextChars} characters.
     */
    public record Limits(int maxCandidates, int maxTextChars) {
        /** The default limits: 1000 candidates (the generator's largest top_k), 32,000 characters. */
        public static final Limits DEFAULT = new Limits(1000, 32_000);

        public Limits {
            if (maxCandidates < 1 || maxTextChars < 1) {
                throw new IllegalArgumentException("max candidates and max text chars must be >= 1, were "
                        + maxCandidates + " and " + maxTextChars);
            }
        }
    }

    /**
     * Cross-request batching: at most {@code maxRecords} candidate sets per call of a batch-invariant reward model
     * (and at most {@link Limits#maxCandidates} texts), handled from a wall-clock punctuation every
     * {@code maxWaitMs}. {@code maxRecords} 1 turns it off (one call per set, no buffer store).
     */
    public record Batching(int maxRecords, long maxWaitMs) {
        /** The scorer's defaults ({@code --max-batch-records}, {@code --batch-wait-ms}): 16 sets, 1 ms. */
        public static final Batching DEFAULT = new Batching(16, 1);
        /** One call per candidate set: no cross-request batching. */
        public static final Batching OFF = new Batching(1, 1);

        public Batching {
            if (maxRecords < 1 || maxWaitMs < 1) {
                throw new IllegalArgumentException("max batch records and batch wait ms must be >= 1, were "
                        + maxRecords + " and " + maxWaitMs);
            }
        }

        public boolean enabled() {
            return maxRecords > 1;
        }
    }
}
