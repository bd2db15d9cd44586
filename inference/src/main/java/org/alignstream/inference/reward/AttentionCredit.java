package org.alignstream.inference.reward;


import org.alignstream.core.feedback.DenseCredit;

/**
 * Dense credit from attention (Chan et al. 2024) for an encoder reward model: a response's reward R
 * spread over its tokens by {@link DenseCredit}, r_t = beta a_t R + (1 - beta) R [t = T], with a_t
 * the last layer's attention (head mean) restricted to the response tokens ({@link TokenStates#responsePositions})
 * and renormalised there, T the last response token. Special tokens get no credit.
 *
 * <h2>Which attention row</h2>
 * The paper reads the row of the final position, the one a decoder reward model's head reads. The
 * sentiment reward here reads the mean-pooled states of all positions instead, and with BERT
 * encoders the final position ({@code [SEP]}) is an attention sink that sends 30-96% of its weight
 * to {@code [CLS]} ({@link TokenAttention#textWeights()}). Both rows ({@link Row}) were compared
 * with what each token does to the reward, the leave-one-token-out change of the {@code sentiment}
 * reward, on its 84 held-out labelled sentences ({@code CreditRowAgreementTest}, 994 tokens):
 * <pre>
 * row                 Spearman(a_t, |ΔR_t|)  top-1   top-3   Pearson(a_t R, ΔR_t)
 * FINAL_TOKEN              0.228             0.167   0.667        0.146
 * MEAN_OVER_QUERIES        0.329             0.310   0.750        0.238
 * chance                   0                 0.093   0.278        0
 * </pre>
 * (top-k: the token whose removal moves the reward most against its sign is among the k with the
 * largest a_t.) The mean over query rows wins on every measure and is the default. Both are weak
 * proxies of a token's effect: credit shows where the reward model looked, not a causal effect.
 */
public final class AttentionCredit {

    /** Which attention row gives a_t. */
    public enum Row {
        /** The final real position's row ({@code [SEP]} for BERT), as in the paper. */
        FINAL_TOKEN,
        /** The mean over every real query position's row: what the mean-pooled output attends to. */
        MEAN_OVER_QUERIES
    }

    /** The row used by the scorer and the feedback service (chosen by measurement, see the class comment). */
    public static final Row DEFAULT_ROW = Row.MEAN_OVER_QUERIES;

    private AttentionCredit() {
    }

    /**
     * Item {@code b}'s attention weights over its response tokens, one per {@link TokenStates#responsePositions}
     * entry, from {@code row}, renormalised to sum 1 (empty for a response with no tokens).
     */
    public static double[] responseAttention(AttentionBatch batch, int b, Row row) {
        float[] all = row == Row.FINAL_TOKEN ? batch.finalTokenAttention(b) : batch.meanQueryAttention(b);
        int[] positions = batch.states().responsePositions(b);
        double[] weights = new double[positions.length];
        double total = 0;
        for (int i = 0; i < positions.length; i++) {
            weights[i] = all[positions[i]];
            total += weights[i];
        }
        for (int i = 0; i < positions.length; i++) {
            weights[i] = total > 0 ? weights[i] / total : 1.0 / positions.length;
        }
        return weights;
    }

    /**
     * Item {@code b}'s reward {@code reward} spread over its response tokens; empty credit for a
     * response with no tokens.
     *
     * @param beta share of the reward spread by attention, in [0, 1]; the rest goes to the last token
     */
    public static ResponseCredit credit(AttentionBatch batch, int b, double reward, double beta, Row row) {
        double[] attention = responseAttention(batch, b, row);
        double[] credits = attention.length == 0 ? new double[0] : DenseCredit.redistribute(reward, attention, beta);
        return new ResponseCredit(batch.states().responseTokens(b), credits);
    }
}
