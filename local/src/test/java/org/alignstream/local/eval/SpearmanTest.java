package org.alignstream.local.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SpearmanTest {

    @Test
    void monotoneIsOneReversedIsMinusOne() {
        assertThat(Spearman.of(new double[] {1, 2, 3, 4}, new double[] {10, 100, 1000, 10000})).isCloseTo(1, within(1e-12));
        assertThat(Spearman.of(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, -7})).isCloseTo(-1, within(1e-12));
    }

    @Test
    void tiesGetAverageRanks() {
        assertThat(Spearman.ranks(new double[] {3, 1, 3, 2})).containsExactly(3.5, 1, 3.5, 2);
        // ranks x = 1,2,3,4 and y = 1,2.5,2.5,4: Pearson of the ranks = 4.5 / sqrt(5 * 4.5)
        assertThat(Spearman.of(new double[] {1, 2, 3, 4}, new double[] {0, 5, 5, 9}))
                .isCloseTo(4.5 / Math.sqrt(5 * 4.5), within(1e-12));
    }

    @Test
    void constantOrTooShortIsNaN() {
        assertThat(Spearman.of(new double[] {1, 1, 1}, new double[] {1, 2, 3})).isNaN();
        assertThat(Spearman.of(new double[] {1}, new double[] {1})).isNaN();
    }
}
