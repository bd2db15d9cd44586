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
 * to {@code [CLS]} ({@link TokenAttention#textWeights()}). Two rows were compared
 * ({@link Row}) against the leave-one-token-out reward change of the {@code sentiment} head on 48
 * held-out labelled sentences (the {@code sentiment} split; {@code CreditRowAgreementTest}):
 * {@link Row#MEAN_OVER_QUERIES} is the default; the figures are in that test and in
 * {@code models/reward-sentiment/MODEL_CARD.md}.
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
