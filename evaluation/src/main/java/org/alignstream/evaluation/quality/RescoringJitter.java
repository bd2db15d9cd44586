package org.alignstream.evaluation.quality;

import static org.alignstream.evaluation.quality.ResultTable.sig3;

import java.util.List;

/**
 * How much the evaluation's one-batch-per-row scoring moves a text's reward: the int8 encoders quantise activations
 * per batch, so the very same text can score differently in two rows. Measured on every pair of rows that answered
 * the same prompt with the identical text.
 *
 * @param pairs pairs of identical (prompt, text) in two rows
 * @param meanProxy mean |proxy difference| over those pairs
 * @param maxProxy largest |proxy difference|
 * @param meanGold mean |gold difference|
 * @param maxGold largest |gold difference|
 */
public record RescoringJitter(int pairs, double meanProxy, double maxProxy, double meanGold, double maxGold) {

    public static RescoringJitter of(List<RowResult> rows) {
        int pairs = 0;
        double sumProxy = 0;
        double maxProxy = 0;
        double sumGold = 0;
        double maxGold = 0;
        for (int a = 0; a < rows.size(); a++) {
            for (int b = a + 1; b < rows.size(); b++) {
                RowResult x = rows.get(a);
                RowResult y = rows.get(b);
                for (int i = 0; i < Math.min(x.responses(), y.responses()); i++) {
                    if (x.texts().get(i).equals(y.texts().get(i))) {
                        double dp = Math.abs(x.proxy()[i] - y.proxy()[i]);
                        double dg = Math.abs(x.gold()[i] - y.gold()[i]);
                        pairs++;
                        sumProxy += dp;
                        sumGold += dg;
                        maxProxy = Math.max(maxProxy, dp);
                        maxGold = Math.max(maxGold, dg);
                    }
                }
            }
        }
        return pairs == 0 ? new RescoringJitter(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN)
                : new RescoringJitter(pairs, sumProxy / pairs, maxProxy, sumGold / pairs, maxGold);
    }

    /** One sentence for the report. */
    public String describe() {
        if (pairs == 0) {
            return "Re-scoring jitter: no two rows answered a prompt with the same text, so it was not measured.";
        }
        return "Re-scoring jitter (the int8 encoders quantise per batch, so a text's reward depends on its batch mates): "
                + "over the " + pairs + " pairs of rows that gave the identical text to the same prompt, the proxy "
                + "differs by " + sig3(meanProxy) + " on average (at most " + sig3(maxProxy) + ") and the gold by "
                + sig3(meanGold) + " (at most " + sig3(maxGold) + ").";
    }
}
