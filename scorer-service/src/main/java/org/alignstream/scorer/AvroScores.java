package org.alignstream.scorer;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.TokenCredit;
import org.alignstream.inference.reward.ResponseCredit;

/**
 * A reward model's results in the Avro forms of {@link org.alignstream.avro.ScoredCandidateSet}'s fields: rewards as
 * a list of doubles, embeddings as lists of floats, per-token credit as lists of {@link TokenCredit}.
 */
final class AvroScores {

    private AvroScores() {
    }

    static List<Double> doubles(double[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return list;
    }

    static List<List<Float>> embeddings(float[][] rows) {
        List<List<Float>> out = new ArrayList<>(rows.length);
        for (float[] row : rows) {
            List<Float> list = new ArrayList<>(row.length);
            for (float v : row) {
                list.add(v);
            }
            out.add(list);
        }
        return out;
    }

    static List<List<TokenCredit>> tokenCredits(List<ResponseCredit> credits) {
        List<List<TokenCredit>> out = new ArrayList<>(credits.size());
        for (ResponseCredit c : credits) {
            List<TokenCredit> tokens = new ArrayList<>(c.size());
            double[] values = c.credits();
            for (int t = 0; t < c.size(); t++) {
                tokens.add(new TokenCredit(c.tokens().get(t), values[t]));
            }
            out.add(tokens);
        }
        return out;
    }
}
