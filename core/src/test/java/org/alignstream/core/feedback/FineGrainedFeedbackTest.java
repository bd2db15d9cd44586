package org.alignstream.core.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.alignstream.core.training.TokenLevelRewardHead;
import org.alignstream.core.training.TokenLevelRewardHead.LabelledSequence;
import org.alignstream.core.training.TokenLevelRewardHead.Options;
import org.alignstream.core.training.TokenLevelRewardHead.PreferencePair;
import org.junit.jupiter.api.Test;

/**
 * The fine-grained pipeline end to end on a toy world whose per-token reward is known: a policy writes
 * neutral and bad tokens, an annotator minimally edits the bad ones away (deleting or replacing them,
 * sometimes inserting a good token), {@link MinimalEditAlignment} recovers the token labels from the two
 * token sequences alone, and a {@link TokenLevelRewardHead} trained on them ranks the vocabulary like the
 * true reward.
 */
class FineGrainedFeedbackTest {

    @Test
    void tokenRewardsLearnedFromAlignedEditsMatchTheTrueRewards() {
        Random world = new Random(8);
        int vocabulary = 40;
        int d = 5;
        double[][] embedding = gaussian(world, vocabulary, d);
        double[] trueW = gaussian(world, 1, d)[0];
        double[] trueReward = new double[vocabulary];
        for (int v = 0; v < vocabulary; v++) {
            trueReward[v] = dot(trueW, embedding[v]) - 0.2;
        }

        Random rnd = new Random(9);
        List<LabelledSequence> labelled = new ArrayList<>();
        List<PreferencePair> pairs = new ArrayList<>();
        int edits = 0;
        while (edits < 300) {
            int[] original = new int[6 + rnd.nextInt(10)];
            for (int t = 0; t < original.length; t++) {
                do {
                    original[t] = rnd.nextInt(vocabulary);
                } while (trueReward[original[t]] > 0.5);
            }
            List<Integer> edited = new ArrayList<>();
            for (int v : original) {
                if (trueReward[v] >= -0.5) {
                    edited.add(v);
                } else if (rnd.nextBoolean()) {
                    edited.add(goodToken(rnd, trueReward));
                }
                if (rnd.nextInt(10) == 0) {
                    edited.add(goodToken(rnd, trueReward));
                }
            }
            int[] editedTokens = edited.stream().mapToInt(Integer::intValue).toArray();
            MinimalEditAlignment alignment = MinimalEditAlignment.align(original, editedTokens);
            if (alignment.unchanged()) {
                continue; // FeedbackValidation would turn this edit away
            }
            edits++;
            double[][] hOriginal = features(rnd, embedding, original);
            double[][] hEdited = features(rnd, embedding, editedTokens);
            labelled.add(new LabelledSequence(hOriginal, alignment.originalLabels()));
            labelled.add(new LabelledSequence(hEdited, alignment.editedLabels()));
            pairs.add(new PreferencePair(hEdited, hOriginal));
        }

        TokenLevelRewardHead head = TokenLevelRewardHead.fit(labelled, pairs, new Options(0.1, 1.0, 1e-4));
        assertThat(head.converged()).isTrue();
        double[] learned = head.tokenRewards(embedding);
        for (int v = 0; v < vocabulary; v++) {
            if (Math.abs(trueReward[v]) > 0.5) {
                assertThat(Math.signum(learned[v])).as("sign of token %d (true reward %s)", v, trueReward[v])
                        .isEqualTo(Math.signum(trueReward[v]));
            }
        }
        assertThat(rankAgreement(learned, trueReward)).as("fraction of token pairs ordered as by the true reward")
                .isGreaterThan(0.9);
        assertThat(head.pairwiseAccuracy(pairs)).isGreaterThan(0.98);
    }

    private static int goodToken(Random rnd, double[] trueReward) {
        while (true) {
            int v = rnd.nextInt(trueReward.length);
            if (trueReward[v] > 0.5) {
                return v;
            }
        }
    }

    /** Contextual features: the token's embedding plus a little noise. */
    private static double[][] features(Random rnd, double[][] embedding, int[] tokens) {
        double[][] h = new double[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            h[t] = embedding[tokens[t]].clone();
            for (int j = 0; j < h[t].length; j++) {
                h[t][j] += 0.05 * rnd.nextGaussian();
            }
        }
        return h;
    }

    /** Kendall-style agreement: the fraction of pairs (u, v) that a and b order the same way. */
    private static double rankAgreement(double[] a, double[] b) {
        int agree = 0;
        int total = 0;
        for (int u = 0; u < a.length; u++) {
            for (int v = u + 1; v < a.length; v++) {
                total++;
                if (Math.signum(a[u] - a[v]) == Math.signum(b[u] - b[v])) {
                    agree++;
                }
            }
        }
        return (double) agree / total;
    }

    private static double[][] gaussian(Random rnd, int n, int d) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = rnd.nextGaussian();
            }
        }
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
