package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link AttentionBatch}'s head-and-query means against their definition computed key by key: the same sums in the
 * same order, so the results agree bit for bit (the credits the scorer writes must not move).
 */
class AttentionBatchTest {

    private static final int HEADS = 3;
    private static final int LENGTH = 7;
    private static final int[] REAL = {7, 4, 2};

    @Test
    void headAndQueryMeansEqualTheirKeyByKeyDefinitionBitForBit() {
        int n = REAL.length;
        long[] ids = new long[n * LENGTH];
        long[] mask = new long[n * LENGTH];
        for (int b = 0; b < n; b++) {
            for (int t = 0; t < REAL[b]; t++) {
                ids[b * LENGTH + t] = 100 + t;
                mask[b * LENGTH + t] = 1;
            }
        }
        TokenBatch tokens = new TokenBatch(n, LENGTH, ids, mask, new long[n * LENGTH]);
        Random random = new Random(7);
        float[] hidden = new float[n * LENGTH * 4];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = random.nextFloat() - 0.5f;
        }
        float[] probabilities = new float[n * HEADS * LENGTH * LENGTH];
        for (int i = 0; i < probabilities.length; i++) {
            probabilities[i] = random.nextFloat();
        }
        AttentionBatch batch = new AttentionBatch(List.of("a", "b", "c"), new TokenStates(tokens, hidden, 4, 0),
                probabilities, HEADS);
        for (int b = 0; b < n; b++) {
            int last = REAL[b] - 1;
            assertThat(batch.meanQueryAttention(b)).containsExactly(reference(probabilities, mask, b, 0, last));
            assertThat(batch.finalTokenAttention(b)).containsExactly(reference(probabilities, mask, b, last, last));
            float[] mean = batch.meanQueryAttention(b);
            for (int k = REAL[b]; k < LENGTH; k++) {
                assertThat(mean[k]).isZero();
            }
        }
    }

    /** The definition, key by key: the sum over heads, then over the real query rows, renormalised over real keys. */
    private static float[] reference(float[] p, long[] mask, int b, int firstQuery, int lastQuery) {
        double[] mean = new double[LENGTH];
        double total = 0;
        for (int k = 0; k < LENGTH; k++) {
            if (mask[b * LENGTH + k] == 0) {
                continue;
            }
            double sum = 0;
            for (int h = 0; h < HEADS; h++) {
                for (int q = firstQuery; q <= lastQuery; q++) {
                    if (mask[b * LENGTH + q] != 0) {
                        sum += p[((b * HEADS + h) * LENGTH + q) * LENGTH + k];
                    }
                }
            }
            mean[k] = sum;
            total += sum;
        }
        float[] out = new float[LENGTH];
        for (int k = 0; k < LENGTH; k++) {
            out[k] = (float) (mean[k] / total);
        }
        return out;
    }
}
