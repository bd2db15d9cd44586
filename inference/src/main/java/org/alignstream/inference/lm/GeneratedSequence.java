package org.alignstream.inference.lm;

import java.util.Objects;

/**
 * One sampled continuation.
 *
 * @param tokenIds     the new tokens, including the terminating EOS token when {@code finishReason} is
 *                     {@link #EOS}
 * @param logprobs     {@code logprobs[t]} is {@code log pi_ref(tokenIds[t] | prefix)}: the log-probability under the
 *                     model's raw distribution (log-softmax of the unmodified logits, independent of temperature,
 *                     top-k and top-p), as needed for KL-regularised selection
 * @param finishReason {@link #EOS} or {@link #LENGTH}
 */
public record GeneratedSequence(int[] tokenIds, float[] logprobs, String finishReason) {

    /** The model emitted its end-of-sequence token. */
    public static final String EOS = "eos";
    /** {@code maxNewTokens} were generated without an end-of-sequence token. */
    public static final String LENGTH = "length";

    public GeneratedSequence {
        Objects.requireNonNull(tokenIds, "tokenIds");
        Objects.requireNonNull(logprobs, "logprobs");
        if (tokenIds.length != logprobs.length) {
            throw new IllegalArgumentException("tokenIds has " + tokenIds.length + " entries but logprobs has "
                    + logprobs.length);
        }
        if (!EOS.equals(finishReason) && !LENGTH.equals(finishReason)) {
            throw new IllegalArgumentException("finishReason must be \"eos\" or \"length\", got " + finishReason);
        }
    }

    public int length() {
        return tokenIds.length;
    }

    /** {@code log pi_ref(sequence | prompt)}: the sum of the per-token log-probabilities. */
    public double sumLogprob() {
        double sum = 0.0;
        for (float lp : logprobs) {
            sum += lp;
        }
        return sum;
    }
}
