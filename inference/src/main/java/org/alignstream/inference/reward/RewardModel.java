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

    /** Frees native resources; no runtime exception for a normal close. */
    @Override
    void close();
}
