package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StepChoiceTest {

    @Test
    void isImmutableAndComparesByContent() {
        double[] p = {0.25, 0.75};
        StepChoice choice = new StepChoice(1, p, 0.1);
        p[0] = 9;
        choice.distribution()[1] = 9;
        assertThat(choice.distribution()).containsExactly(0.25, 0.75);
        assertThat(choice).isEqualTo(new StepChoice(1, new double[] {0.25, 0.75}, 0.1))
                .hasSameHashCodeAs(new StepChoice(1, new double[] {0.25, 0.75}, 0.1))
                .isNotEqualTo(new StepChoice(0, new double[] {0.25, 0.75}, 0.1));
        assertThat(choice.candidates()).isEqualTo(2);
        assertThat(choice.probability(1)).isEqualTo(0.75);
        assertThat(choice.toString()).contains("[0.25, 0.75]");
    }

    @Test
    void rejectsAnIndexOutsideTheCandidates() {
        assertThatThrownBy(() -> new StepChoice(2, new double[] {0.5, 0.5}, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 2 is outside the 2 candidates");
        assertThatThrownBy(() -> new StepChoice(0, new double[0], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one candidate");
    }
}
