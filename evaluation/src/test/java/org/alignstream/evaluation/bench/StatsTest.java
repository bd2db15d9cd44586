package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Stats.median(3, 1, 2)).isEqualTo(2);
        assertThat(Stats.median(4, 1, 3, 2)).isEqualTo(2.5);
        assertThat(Stats.median(List.of(7.0))).isEqualTo(7);
    }

    @Test
    void percentileIsTheSmallestValueWithAtLeastPPercentAtOrBelowIt() {
        Random random = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            double[] values = random.doubles(1 + random.nextInt(40), 0, 100).toArray();
            double p = 1 + random.nextInt(100);
            double got = Stats.percentile(values, p);
            // brute force: scan candidates in ascending order for the first with enough values at or below it
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            double expected = Double.NaN;
            for (double candidate : sorted) {
                long atOrBelow = Arrays.stream(values).filter(v -> v <= candidate).count();
                if (atOrBelow * 100.0 >= p * values.length) {
                    expected = candidate;
                    break;
                }
            }
            assertThat(got).as("p%s of %s", p, Arrays.toString(values)).isEqualTo(expected);
        }
    }

    @Test
    void p95OfTwentyValuesIsTheNineteenth() {
        double[] values = new double[20];
        Arrays.setAll(values, i -> 20 - i);
        assertThat(Stats.percentile(values, 95)).isEqualTo(19);
        assertThat(Stats.percentile(values, 100)).isEqualTo(20);
    }

    @Test
    void rejectsEmptyInputAndBadPercentiles() {
        assertThatThrownBy(() -> Stats.median()).hasMessageContaining("no values");
        assertThatThrownBy(() -> Stats.percentile(new double[] {1}, 0)).hasMessageContaining("(0, 100]");
        assertThatThrownBy(() -> Stats.percentile(new double[] {1}, 101)).hasMessageContaining("(0, 100]");
    }
}
