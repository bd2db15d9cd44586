package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PairedDifferenceTest {

    @Test
    void meanAndStandardErrorOfThePerPromptDifferences() {
        // differences 1, 2, 3: mean 2, sample sd 1, se 1/sqrt(3)
        PairedDifference d = PairedDifference.of(new double[] {11, 22, 33}, new double[] {10, 20, 30});
        assertThat(d.mean()).isCloseTo(2.0, within(1e-12));
        assertThat(d.standardError()).isCloseTo(1 / Math.sqrt(3), within(1e-12));
        assertThat(d.n()).isEqualTo(3);
        assertThat(d.significantlyPositive()).isTrue(); // 2 > 2 * 0.577
        assertThat(d.significantlyNegative()).isFalse();
    }

    @Test
    void pairingRemovesThePromptEffect() {
        // the rows differ a lot by prompt but a beats b by exactly 0.1 everywhere: zero spread, significant
        PairedDifference d = PairedDifference.of(new double[] {5.1, -3.9, 0.1}, new double[] {5, -4, 0});
        assertThat(d.standardError()).isCloseTo(0, within(1e-12));
        assertThat(d.significantlyPositive()).isTrue();
    }

    @Test
    void withinNoiseIsNeitherWay() {
        PairedDifference d = PairedDifference.of(new double[] {1, -1, 1, -0.5}, new double[] {0, 0, 0, 0});
        assertThat(d.mean()).isCloseTo(0.125, within(1e-12));
        assertThat(d.significantlyPositive()).isFalse();
        assertThat(d.significantlyNegative()).isFalse();
        PairedDifference worse = PairedDifference.of(new double[] {0, 0, 0}, new double[] {1, 2, 3});
        assertThat(worse.significantlyNegative()).isTrue();
        assertThat(worse.significantlyPositive()).isFalse();
    }

    @Test
    void aSinglePairIsNeverSignificantAndZeroIsNotPositive() {
        PairedDifference one = PairedDifference.of(new double[] {5}, new double[] {0});
        assertThat(one.standardError()).isNaN();
        assertThat(one.significantlyPositive()).isFalse();
        PairedDifference zero = PairedDifference.of(new double[] {1, 2}, new double[] {1, 2});
        assertThat(zero.significantlyPositive()).isFalse();
        assertThat(zero.significantlyNegative()).isFalse();
    }

    @Test
    void describeShowsSignAndOneStandardError() {
        assertThat(PairedDifference.of(new double[] {11, 22, 33}, new double[] {10, 20, 30}).describe())
                .isEqualTo("+2.00 ± 0.577");
        assertThat(PairedDifference.of(new double[] {0, 0}, new double[] {1, 2}).describe()).isEqualTo("-1.50 ± 0.500");
    }

    @Test
    void rejectsUnpairedOrEmptyInput() {
        assertThatThrownBy(() -> PairedDifference.of(new double[] {1}, new double[] {1, 2}))
                .hasMessageContaining("same prompts");
        assertThatThrownBy(() -> PairedDifference.of(new double[0], new double[0])).hasMessageContaining("no values");
    }
}
