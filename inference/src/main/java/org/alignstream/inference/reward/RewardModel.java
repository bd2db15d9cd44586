package org.alignstream.inference.reward;

import java.util.List;

/**
 * A reward model r(x, y) scoring candidate responses y to a prompt x. Higher is better; values
 * are on the model's own scale (for the shipped sentiment head, log-odds of "positive").
 *
 * <p>Implementations are safe for concurrent use (ONNX Runtime sessions are) and hold native
 * handles: close them.
 */
public interface RewardModel extends AutoCloseable {

    /** Model kind for full-sequence rewards, scoring a complete response. */
    String FULL_SEQUENCE = "full-sequence";

    /**
     * Model kind for partial-sequence rewards, trained to score prefixes of a response consistently
     * (for guided decoding that scores unfinished text, e.g. PARGS, Rashid et al. 2024).
     */
    String PARTIAL_SEQUENCE = "partial-sequence";

    /**
     * Model kind for token-level rewards: a reward per response token, the sequence reward being their
     * sum (Xu et al. 2024, fine-grained supervision; {@link TokenLevelRewardModel}).
     */
    String TOKEN_LEVEL = "token-level";

    /** Reward name, e.g. {@code sentiment}. */
    String id();

    /** Version of the weights in use. */
    String version();

    /** What is scored, e.g. {@link #FULL_SEQUENCE} or {@link #PARTIAL_SEQUENCE}. */
    String kind();

    /**
     * Rewards of all {@code responses} to {@code prompt}, computed in ONE padded batch (one ONNX
     * call per network); element i belongs to {@code responses.get(i)}. An empty list gives an
     * empty array.
     *
     * @throws IllegalArgumentException if the prompt or a response is null
     */
    double[] score(String prompt, List<String> responses);

    /** Reward of one response. */
    default double score(String prompt, String response) {
        return score(prompt, List.of(response))[0];
    }

    /**
     * Pooled, L2-normalised sentence embeddings of {@code texts} (one batch), for
     * diversity-aware selection. Models without a sentence embedding throw
     * {@link UnsupportedOperationException}; check {@link #hasEmbeddings()} first.
     */
    float[][] embed(List<String> texts);

    /** Whether {@link #embed} is supported. */
    boolean hasEmbeddings();

    /**
     * Rewards of {@code responses} and the embeddings of the responses (as {@link #embed}), for diversity-aware
     * selection. Models that embed what they score share one encoder pass between the two.
     */
    default RewardsAndEmbeddings scoreAndEmbed(String prompt, List<String> responses) {
        return new RewardsAndEmbeddings(score(prompt, responses), embed(responses));
    }

    /** Rewards and embeddings, element i of each belonging to response i. */
    record RewardsAndEmbeddings(double[] rewards, float[][] embeddings) {
    }

    /**
     * Whether {@link #score(String, List, Outputs)} can give per-token credit: encoder models whose
     * encoder outputs its attention (dense credit, {@link AttentionCredit}) and token-level models (their
     * own per-token rewards). False by default.
     */
    default boolean hasTokenCredit() {
        return false;
    }

    /**
     * What a caller wants from one scoring pass besides the rewards.
     *
     * @param embeddings  the responses' sentence embeddings (as {@link #embed})
     * @param credit      each response's per-token credit, if the model {@link #hasTokenCredit() has it}
     * @param creditBeta  for dense credit from attention: the share of the reward spread by attention, in [0, 1]
     * @param creditRow   for dense credit from attention: which attention row gives the weights
     */
    record Outputs(boolean embeddings, boolean credit, double creditBeta, AttentionCredit.Row creditRow) {
        public Outputs {
            if (!(creditBeta >= 0 && creditBeta <= 1)) {
                throw new IllegalArgumentException("credit beta must be in [0, 1], got " + creditBeta);
            }
            java.util.Objects.requireNonNull(creditRow, "creditRow");
        }

        /** With the default attention row ({@link AttentionCredit#DEFAULT_ROW}). */
        public Outputs(boolean embeddings, boolean credit, double creditBeta) {
            this(embeddings, credit, creditBeta, AttentionCredit.DEFAULT_ROW);
        }

        /** Rewards only. */
        public static final Outputs REWARDS = new Outputs(false, false, 0);
    }

    /**
     * Rewards, with embeddings and credits when asked for (null otherwise, and credits also null when the model
     * has none); element i of each belongs to response i.
     */
    record Scores(double[] rewards, float[][] embeddings, List<ResponseCredit> credits) {
    }

    /**
     * Rewards of {@code responses} and what {@code outputs} asks for. Models that compute them from one encoder
     * pass do so; this default runs {@link #scoreAndEmbed} or {@link #score(String, List)} and gives no credit.
     */
    default Scores score(String prompt, List<String> responses, Outputs outputs) {
        if (outputs.embeddings()) {
            RewardsAndEmbeddings scored = scoreAndEmbed(prompt, responses);
            return new Scores(scored.rewards(), scored.embeddings(), null);
        }
        return new Scores(score(prompt, responses), null, null);
    }

    /**
     * One group of a {@link #scoreGroups} call: a prompt, its responses (e.g. the candidates of one request's round)
     * and what the caller wants besides the rewards.
     */
    record Group(String prompt, List<String> responses, Outputs outputs) {
        public Group {
            java.util.Objects.requireNonNull(outputs, "outputs");
        }
    }

    /**
     * Scores several groups (e.g. the candidate sets of concurrent requests): element g of the result belongs to
     * {@code groups.get(g)} and holds what {@link #score(String, List, Outputs)} gives for that group. Models that
     * {@link #mergesGroups() merge} run ONE padded batch per network for all groups together (langchain4j/Tribuo
     * style: the batch method beside the single-item ones); whether a group's results then equal, bit for bit, those
     * of the group scored alone depends on the model being batch-invariant ({@link BatchInvariance}). This default
     * makes one call per group.
     *
     * @throws IllegalArgumentException if a prompt or a response is null
     */
    default List<Scores> scoreGroups(List<Group> groups) {
        List<Scores> out = new java.util.ArrayList<>(groups.size());
        for (Group g : groups) {
            out.add(score(g.prompt(), g.responses(), g.outputs()));
        }
        return out;
    }

    /**
     * Whether {@link #scoreWithSharedPrefix} encodes the responses' common prefix once (a decoder reward model with
     * past key values, {@link DecoderRewardModel}) rather than scoring every response in full. False by default.
     */
    default boolean sharesPrefix() {
        return false;
    }

    /**
     * Rewards of {@code responses} that extend a common text, e.g. the candidates of a tokenwise round (the response so
     * far plus one token each), and what {@code outputs} asks for. A model that {@link #sharesPrefix() shares prefixes}
     * encodes the texts' longest common token prefix once and scores each response's remainder from that cache; its
     * rewards equal {@link #score(String, List, Outputs)}'s within float rounding (the model documents the tolerance),
     * not necessarily bit for bit, so a caller must score a given set by one of the two paths consistently. This
     * default is {@link #score(String, List, Outputs)}.
     *
     * @throws IllegalArgumentException if the prompt or a response is null
     */
    default Scores scoreWithSharedPrefix(String prompt, List<String> responses, Outputs outputs) {
        return score(prompt, responses, outputs);
    }

    /**
     * Where a model that {@link #sharesPrefix() shares prefixes} keeps a request's prefix cache between its tokenwise
     * rounds: the {@code store} (keyed by the model's id and version and by {@code requestId}), whether to look the
     * request up ({@code lookup}: false on its first round, when nothing can be there and no miss should be counted)
     * and whether to keep the prefix for a next round ({@code keep}: false when this round ends the request, which
     * drops what the store holds of it).
     */
    record RoundCache(org.alignstream.inference.lm.KvCacheStore<PrefixKv> store, String requestId, boolean lookup,
                      boolean keep) {
        public RoundCache {
            java.util.Objects.requireNonNull(store, "store");
            java.util.Objects.requireNonNull(requestId, "requestId");
        }
    }

    /**
     * {@link #scoreWithSharedPrefix(String, List, Outputs)} for one round of a request, with the key/value cache of the
     * shared prefix kept in {@code cache} between the request's rounds (null: none), so that a round reads only the
     * tokens its prefix adds to the previous round's. An optimisation only: the rewards equal the uncached call's
     * within the tolerance the model documents, and a miss (nothing kept: a restart, another instance, an eviction,
     * or a prefix that re-tokenised differently) scores as the uncached call does. This default ignores the cache.
     *
     * @throws IllegalArgumentException if the prompt or a response is null
     */
    default Scores scoreWithSharedPrefix(String prompt, List<String> responses, Outputs outputs, RoundCache cache) {
        return scoreWithSharedPrefix(prompt, responses, outputs);
    }

    /** Whether {@link #scoreGroups} makes one call per network for all groups (false: one per group). */
    default boolean mergesGroups() {
        return false;
    }

    /**
     * Whether a network of this model quantises activations dynamically, over the whole batch tensor (ONNX
     * {@code DynamicQuantizeLinear}), so that a text's reward depends on its batch mates: true, false, or null when
     * the graph was not inspected. Informative only; {@link BatchInvariance#check} decides by running the model.
     */
    default Boolean quantisesOverBatch() {
        return null;
    }

    /** Frees native resources; no runtime exception for a normal close. */
    @Override
    void close();
}
