package org.alignstream.core.feedback;

/**
 * Attention-based credit (Chan et al. 2024, "Dense Reward for Free in Reinforcement Learning from Human
 * Feedback"): the reward model's scalar output R for a whole response is spread over the response's
 * tokens by attention weights a_t,
 * <pre>  r_t = beta a_t R + (1 - beta) R [t = T],       t = 1 .. T,</pre>
 * so a fraction beta of R is shared in proportion to attention and the rest stays, as in ordinary RLHF,
 * on the last token. With weights a_t &gt;= 0 summing to 1 the credits sum to R, the property that makes
 * the redistribution a potential-based shaping in the paper and leaves the optimal policy unchanged.
 *
 * <p>Attention: this class takes the weights of one attention row (or a mean of rows), typically the last
 * layer's averaged over heads ({@link #meanOverHeads}), over the response tokens only, and renormalises them
 * there, a_t = alpha_t / sum_{s in response} alpha_s: the row also covers the prompt and special tokens, whose
 * share would otherwise be lost and the credits would not sum to R. Which row is the caller's choice: the
 * reference code ({@code get_attention_distribution}) reads the row of the last response token; the scorer's
 * default is the mean over all query rows, which agrees better with the reward's leave-one-token-out changes for
 * its mean-pooling reward model (see {@code AttentionCredit} in the inference module). Weights must be finite and
 * &gt;= 0, and when beta &gt; 0 their sum over the response must be positive.
 *
 * <p>Rounding: the last token's credit is computed as R minus the sum of the others, so the credits add
 * up to R within one rounding of R (and exactly R on the last token when beta = 0).
 */
public final class DenseCredit {

    private DenseCredit() {
    }

    /**
     * Per-token credits for a response of {@code responseAttention.length} (&gt;= 1) tokens, given the
     * chosen attention row's weight on each response token (unnormalised: renormalised here).
     */
    public static double[] redistribute(double reward, double[] responseAttention, double beta) {
        if (responseAttention == null) {
            throw new IllegalArgumentException("attention weights are required");
        }
        return redistribute(reward, responseAttention, 0, beta);
    }

    /**
     * Per-token credits for the response tokens {@code attention[responseStart ..]} of a sequence whose
     * chosen attention row gives every position the weight {@code attention} (prompt first, then the
     * response). The result has one credit per response token; the prompt's weights are ignored.
     */
    public static double[] redistribute(double reward, double[] attention, int responseStart, double beta) {
        if (!Double.isFinite(reward)) {
            throw new IllegalArgumentException("the sequence reward must be finite, got " + reward);
        }
        if (!(beta >= 0 && beta <= 1)) {
            throw new IllegalArgumentException("beta must be in [0, 1], got " + beta);
        }
        if (attention == null) {
            throw new IllegalArgumentException("attention weights are required");
        }
        if (responseStart < 0 || responseStart >= attention.length) {
            throw new IllegalArgumentException("the response must have at least one token: it starts at "
                    + responseStart + " of " + attention.length + " attention weights");
        }
        double sum = 0;
        for (int t = responseStart; t < attention.length; t++) {
            double a = attention[t];
            if (!(a >= 0) || Double.isInfinite(a)) {
                throw new IllegalArgumentException("attention weight " + t + " is " + a + "; weights must be finite and >= 0");
            }
            sum += a;
        }
        int length = attention.length - responseStart;
        if (beta > 0 && !(sum > 0)) {
            throw new IllegalArgumentException("attention over the " + length + " response tokens sums to " + sum
                    + "; it must be positive to share the reward (beta = " + beta + ")");
        }
        double[] credit = new double[length];
        double assigned = 0;
        for (int t = 0; t < length - 1; t++) {
            credit[t] = beta == 0 ? 0 : beta * (attention[responseStart + t] / sum) * reward;
            assigned += credit[t];
        }
        credit[length - 1] = reward - assigned;
        return credit;
    }

    /**
     * The mean over heads of one position's attention rows, {@code attentionByHead[h][position]} (the paper's
     * reference code averages the last layer's heads). Every head must cover the same positions.
     */
    public static double[] meanOverHeads(double[][] attentionByHead) {
        if (attentionByHead == null || attentionByHead.length == 0) {
            throw new IllegalArgumentException("at least one attention head is required");
        }
        int positions = attentionByHead[0] == null ? 0 : attentionByHead[0].length;
        double[] mean = new double[positions];
        for (int h = 0; h < attentionByHead.length; h++) {
            if (attentionByHead[h] == null || attentionByHead[h].length != positions) {
                throw new IllegalArgumentException("head " + h + " has "
                        + (attentionByHead[h] == null ? "no" : String.valueOf(attentionByHead[h].length))
                        + " attention weights, expected " + positions);
            }
            for (int t = 0; t < positions; t++) {
                mean[t] += attentionByHead[h][t];
            }
        }
        for (int t = 0; t < positions; t++) {
            mean[t] /= attentionByHead.length;
        }
        return mean;
    }
}
