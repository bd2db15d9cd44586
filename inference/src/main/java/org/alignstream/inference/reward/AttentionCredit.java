package org.alignstream.inference.reward;


import java.util.List;
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
 *
 * <p>The paper's reference code ({@code get_attention_distribution}) reads a third row: the last
 * <em>response</em> token's, restricted to the response tokens and renormalised there
 * ({@link Row#LAST_RESPONSE_TOKEN}, the scorer's {@code --dense-credit-row LAST_RESPONSE_TOKEN}). It is offered beside
 * the default, which stays the mean over query rows for the measured reason above.
 *
 * <h2>Prompt and response</h2>
 * For a model that reads {@code prompt + " " + response} ({@link ScoredText#PROMPT_AND_RESPONSE}), the first
 * {@code promptTokens} text tokens are the prompt's: they are left out of the response tokens, so that the credit
 * covers the response alone and still sums to the reward.
 */
public final class AttentionCredit {

    /** Which attention row gives a_t. */
    public enum Row {
        /** The final real position's row ({@code [SEP]} for BERT), as in the paper. */
        FINAL_TOKEN,
        /** The mean over every real query position's row: what the mean-pooled output attends to. */
        MEAN_OVER_QUERIES,
        /** The last response token's row, as the paper's reference code reads it. */
        LAST_RESPONSE_TOKEN
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
        return responseAttention(batch, b, row, 0);
    }

    /**
     * {@link #responseAttention(AttentionBatch, int, Row)} for an item whose first {@code promptTokens} text tokens are
     * the prompt's: one weight per response token after them.
     */
    public static double[] responseAttention(AttentionBatch batch, int b, Row row, int promptTokens) {
        int[] positions = responsePositions(batch, b, promptTokens);
        if (positions.length == 0) {
            return new double[0];
        }
        float[] all = switch (row) {
            case FINAL_TOKEN -> batch.finalTokenAttention(b);
            case MEAN_OVER_QUERIES -> batch.meanQueryAttention(b);
            case LAST_RESPONSE_TOKEN -> batch.rowAttention(b, positions[positions.length - 1]);
        };
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

    /** Item {@code b}'s response positions after its first {@code promptTokens} text tokens. */
    private static int[] responsePositions(AttentionBatch batch, int b, int promptTokens) {
        int[] positions = batch.states().responsePositions(b);
        return java.util.Arrays.copyOfRange(positions, Math.min(promptTokens, positions.length), positions.length);
    }

    /**
     * Item {@code b}'s reward {@code reward} spread over its response tokens; empty credit for a
     * response with no tokens.
     *
     * @param beta share of the reward spread by attention, in [0, 1]; the rest goes to the last token
     */
    public static ResponseCredit credit(AttentionBatch batch, int b, double reward, double beta, Row row) {
        return credit(batch, b, reward, beta, row, 0);
    }

    /**
     * {@link #credit(AttentionBatch, int, double, double, Row)} for an item whose first {@code promptTokens} text
     * tokens are the prompt's (a model reading prompt and response): credit for the response's tokens only.
     */
    public static ResponseCredit credit(AttentionBatch batch, int b, double reward, double beta, Row row,
            int promptTokens) {
        double[] attention = responseAttention(batch, b, row, promptTokens);
        double[] credits = attention.length == 0 ? new double[0] : DenseCredit.redistribute(reward, attention, beta);
        List<String> all = batch.states().responseTokens(b);
        return new ResponseCredit(all.subList(Math.min(promptTokens, all.size()), all.size()), credits);
    }
}
