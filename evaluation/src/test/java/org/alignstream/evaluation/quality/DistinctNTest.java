package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DistinctNTest {

    @Test
    void countsUniqueOverTotalNGramsPooledOverResponses() {
        List<int[]> seqs = List.of(new int[] {1, 2, 1, 2}, new int[] {1, 2, 3});
        // unigrams: 1,2,1,2,1,2,3 -> 3 unique of 7
        assertThat(DistinctN.distinct(seqs, 1, -1)).isEqualTo(3.0 / 7);
        // bigrams: (1,2)(2,1)(1,2) + (1,2)(2,3) -> 3 unique of 5
        assertThat(DistinctN.distinct(seqs, 2, -1)).isEqualTo(3.0 / 5);
    }

    @Test
    void nGramsDoNotCrossResponseBoundaries() {
        // joined, (2,3) would be a bigram; kept apart there are only (1,2) and (3,4)
        List<int[]> seqs = List.of(new int[] {1, 2}, new int[] {3, 4});
        assertThat(DistinctN.distinct(seqs, 2, -1)).isEqualTo(1.0);
        assertThat(DistinctN.distinct(List.of(new int[] {1, 2}, new int[] {1, 2}), 2, -1)).isEqualTo(0.5);
        assertThat(DistinctN.distinct(List.of(new int[] {1, 2, 1, 2}), 3, -1)).isEqualTo(1.0);
    }

    @Test
    void excludedTokenIsDroppedBeforeCounting() {
        List<int[]> seqs = List.of(new int[] {5, 6, 99}, new int[] {5, 99});
        assertThat(DistinctN.distinct(seqs, 1, 99)).isEqualTo(2.0 / 3);
        assertThat(DistinctN.distinct(seqs, 1, -1)).isEqualTo(3.0 / 5);
        // dropping 99 from {7, 99, 8} makes (7, 8) a bigram
        assertThat(DistinctN.distinct(List.of(new int[] {7, 99, 8}), 2, 99)).isEqualTo(1.0);
    }

    @Test
    void noNGramsGivesZero() {
        assertThat(DistinctN.distinct(List.of(), 1, -1)).isZero();
        assertThat(DistinctN.distinct(List.of(new int[] {1}, new int[0]), 2, -1)).isZero();
    }

    @Test
    void matchesBruteForceOnRandomSequences() {
        Random random = new Random(3);
        for (int trial = 0; trial < 100; trial++) {
            List<int[]> seqs = new ArrayList<>();
            for (int s = random.nextInt(5); s >= 0; s--) {
                seqs.add(random.ints(random.nextInt(12), 0, 4).toArray());
            }
            int n = 1 + random.nextInt(3);
            Set<String> unique = new HashSet<>();
            int total = 0;
            for (int[] seq : seqs) {
                for (int i = 0; i + n <= seq.length; i++) {
                    StringBuilder key = new StringBuilder();
                    for (int j = i; j < i + n; j++) {
                        key.append(seq[j]).append(',');
                    }
                    unique.add(key.toString());
                    total++;
                }
            }
            double expected = total == 0 ? 0 : (double) unique.size() / total;
            assertThat(DistinctN.distinct(seqs, n, -1)).isEqualTo(expected);
        }
    }

    @Test
    void rejectsNBelowOne() {
        assertThatThrownBy(() -> DistinctN.distinct(List.of(new int[] {1}), 0, -1)).hasMessageContaining("n must be >= 1");
    }
}
