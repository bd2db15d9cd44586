package org.alignstream.core.decoding;

/**
 * When a stepwise decoding's response is complete: the chosen extension ended the text (the generator's
 * finish reason {@value #EOS}) or the response has reached {@code max_new_tokens}. The selector decides with
 * it whether to answer; the scorer, whether a round's candidates may become the answer (and need per-token
 * credit).
 */
public final class ResponseEnd {

    /** The finish reason of a candidate that ended with the end-of-text token. */
    public static final String EOS = "eos";

    private ResponseEnd() {
    }

    /**
     * Whether choosing a candidate with {@code finishReason} makes the response complete.
     *
     * @param responseTokens tokens of the response with the candidate appended
     */
    public static boolean reached(String finishReason, int responseTokens, int maxNewTokens) {
        return EOS.equals(finishReason) || responseTokens >= maxNewTokens;
    }
}
