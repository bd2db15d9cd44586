package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RescoringJitterTest {

    private static RowResult row(String key, List<String> texts, double[] proxy, double[] gold) {
        return new RowResult(key, key, "sentiment", proxy, gold, new double[texts.size()], 1, 1, 1, 1, 1, texts);
    }

    @Test
    void comparesOnlyIdenticalTextsForTheSamePrompt() {
        RowResult a = row("a", List.of("x", "y", "z"), new double[] {1.0, 2.0, 3.0}, new double[] {0.5, 0.5, 0.5});
        RowResult b = row("b", List.of("x", "z", "z"), new double[] {1.1, 9.0, 2.7}, new double[] {0.4, 9.0, 0.5});
        // "z" is also a's answer to prompt 2 but b's to prompt 1: a different prompt, not counted
        RowResult c = row("c", List.of("w", "y", "q"), new double[] {0, 2.5, 0}, new double[] {0, 0.3, 0});
        RescoringJitter j = RescoringJitter.of(List.of(a, b, c));
        assertThat(j.pairs()).isEqualTo(3); // a-b prompt 0, a-b prompt 2, a-c prompt 1
        assertThat(j.meanProxy()).isCloseTo((0.1 + 0.3 + 0.5) / 3, within(1e-12));
        assertThat(j.maxProxy()).isCloseTo(0.5, within(1e-12));
        assertThat(j.meanGold()).isCloseTo((0.1 + 0.0 + 0.2) / 3, within(1e-12));
        assertThat(j.maxGold()).isCloseTo(0.2, within(1e-12));
        assertThat(j.describe()).contains("3 pairs").contains("at most 0.500");
    }

    @Test
    void noSharedTextIsNotMeasured() {
        RescoringJitter j = RescoringJitter.of(List.of(row("a", List.of("x"), new double[] {1}, new double[] {1}),
                row("b", List.of("y"), new double[] {1}, new double[] {1})));
        assertThat(j.pairs()).isZero();
        assertThat(j.describe()).contains("not measured");
    }
}
