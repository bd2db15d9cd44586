package org.alignstream.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopKTest {

    /** Reference: every position boxed and fully sorted by value (Float.compare, descending), then position. */
    private static int[] fullSort(float[] values, int k) {
        Integer[] order = new Integer[values.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> {
            int byValue = Float.compare(values[b], values[a]);
            return byValue != 0 ? byValue : Integer.compare(a, b);
        });
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** Logits with many exact ties (a few distinct values), signed zeros and -Infinity. */
    private static float[] tied(SplittableRandom rng, int vocab) {
        float[] levels = {3f, 1.5f, 0f, -0f, -2f, Float.NEGATIVE_INFINITY};
        float[] out = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            out[i] = rng.nextInt(4) == 0 ? levels[rng.nextInt(levels.length)] : (float) rng.nextGaussian();
        }
        return out;
    }

    @Test
    void equalsTheFullSortWithTiesSignedZerosAndInfinities() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int trial = 0; trial < 300; trial++) {
            int vocab = 1 + rng.nextInt(300);
            float[] values = tied(rng, vocab);
            for (int k : new int[] {1, 1 + rng.nextInt(vocab), vocab}) {
                assertThat(TopK.indices(values, k)).as("vocab %d k %d", vocab, k).containsExactly(fullSort(values, k));
            }
        }
    }

    @Test
    void equalsTheFullSortAtRealVocabularySizes() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int vocab : new int[] {50_257, 151_936}) {
            float[] gaussian = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                gaussian[i] = (float) (rng.nextGaussian() * 3);
            }
            float[] allEqual = new float[vocab];
            Arrays.fill(allEqual, 0.25f);
            for (float[] values : new float[][] {gaussian, tied(rng, vocab), allEqual}) {
                for (int k : new int[] {1, 10, 1000}) {
                    assertThat(TopK.indices(values, k)).containsExactly(fullSort(values, k));
                }
            }
        }
    }

    @Test
    void rejectsKOutsideTheVector() {
        assertThatThrownBy(() -> TopK.indices(new float[3], 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k must be in [1, 3], got 0");
        assertThatThrownBy(() -> TopK.indices(new float[3], 4)).isInstanceOf(IllegalArgumentException.class);
    }
}
