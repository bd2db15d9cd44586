package org.alignstream.inference.lm;

/**
 * What {@link CandidateGenerator} does when a prompt plus the requested new tokens does not fit in the model's
 * context ({@code n_positions} / {@code max_position_embeddings} of config.json).
 */
public enum PromptOverflow {
    /** Throw an {@link IllegalArgumentException} stating the lengths (the default). */
    REJECT,
    /** Drop tokens from the start of the prompt so that the prompt and the new tokens fit. */
    TRUNCATE_LEFT
}
