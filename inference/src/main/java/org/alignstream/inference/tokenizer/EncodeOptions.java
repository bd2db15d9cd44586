package org.alignstream.inference.tokenizer;

import java.util.Objects;

/**
 * How {@link HfTokenizer#encodeBatch} turns texts into a padded batch.
 *
 * @param addSpecialTokens apply the tokenizer's post-processor template (e.g. {@code [CLS] x [SEP]})
 * @param truncation       what to do with a text longer than {@code maxLength}; special tokens are always kept,
 *                         only content tokens are dropped
 * @param paddingSide      where padding goes ({@code RIGHT} for encoders, {@code LEFT} for batched decoder prompts)
 * @param padToMaxLength   pad every row to {@code maxLength} rather than to the longest row of the batch
 * @param padTokenId       id written at padding positions, or {@code null} for the tokenizer's own
 *                         ({@link HfTokenizer#padTokenId()})
 */
public record EncodeOptions(boolean addSpecialTokens, Truncation truncation, Side paddingSide, boolean padToMaxLength,
                            Long padTokenId) {

    /** Which end of a sequence is cut or padded. */
    public enum Side { LEFT, RIGHT }

    /** Policy for texts longer than the maximum length. */
    public enum Truncation {
        /** Reject the batch with an {@link IllegalArgumentException} naming the text. */
        ERROR,
        /** Keep the first tokens (Hugging Face's default). */
        RIGHT,
        /** Keep the last tokens. */
        LEFT
    }

    /** Encoder defaults: special tokens, truncate on the right, pad on the right to the longest row. */
    public static final EncodeOptions ENCODER = new EncodeOptions(true, Truncation.RIGHT, Side.RIGHT, false, null);

    /** Decoder-prompt defaults: no special tokens, reject overlong prompts, pad on the left. */
    public static final EncodeOptions DECODER_PROMPTS = new EncodeOptions(false, Truncation.ERROR, Side.LEFT, false, null);

    public EncodeOptions {
        Objects.requireNonNull(truncation, "truncation");
        Objects.requireNonNull(paddingSide, "paddingSide");
    }

    public EncodeOptions withAddSpecialTokens(boolean value) {
        return new EncodeOptions(value, truncation, paddingSide, padToMaxLength, padTokenId);
    }

    public EncodeOptions withTruncation(Truncation value) {
        return new EncodeOptions(addSpecialTokens, value, paddingSide, padToMaxLength, padTokenId);
    }

    public EncodeOptions withPaddingSide(Side value) {
        return new EncodeOptions(addSpecialTokens, truncation, value, padToMaxLength, padTokenId);
    }

    public EncodeOptions withPadToMaxLength(boolean value) {
        return new EncodeOptions(addSpecialTokens, truncation, paddingSide, value, padTokenId);
    }

    public EncodeOptions withPadTokenId(Long value) {
        return new EncodeOptions(addSpecialTokens, truncation, paddingSide, padToMaxLength, value);
    }
}
