package org.alignstream.inference.reward;

/**
 * A reward model made of a frozen encoder ({@link MeanPoolingEncoder}) and a small head graph in
 * the {@link RewardHeadOnnx} format, run in its own session: a new version of the reward is a new
 * head over the same encoder ({@link #withHead}), which is how the scorer hot-swaps versions.
 */
public interface EncoderHeadModel extends RewardModel {

    /** The encoder whose features (pooled or per token) the head reads. */
    MeanPoolingEncoder encoder();

    /**
     * The same encoder with another head (a new version): shares the encoder without owning it, so closing the
     * new model closes only its head. Takes ownership of {@code newHead}; this model must stay open while the new
     * one is used.
     *
     * @throws IllegalArgumentException if the head does not fit this kind of model or its encoder
     */
    EncoderHeadModel withHead(RewardHead newHead);
}
