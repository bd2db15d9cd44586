package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class SteadyRateTest {

    private static SteadyRate.Arrival at(double seconds, long units) {
        return new SteadyRate.Arrival((long) (seconds * 1e9), units);
    }

    @Test
    void countsOnlyTheOutputsAfterTheWarmUpOverTheTimeFromTheLastWarmUpOutput() {
        // a slow start (the first output after 5 s) must not count; then 3 outputs of 8 units in 1.5 s
        List<SteadyRate.Arrival> arrivals = List.of(at(5.0, 8), at(5.5, 8), at(6.0, 8), at(6.5, 8), at(7.0, 8));
        SteadyRate rate = SteadyRate.of(arrivals, 2);
        assertThat(rate.outputs()).isEqualTo(3);
        assertThat(rate.units()).isEqualTo(24);
        assertThat(rate.seconds()).isCloseTo(1.5, within(1e-9));
        assertThat(rate.perSecond()).isCloseTo(16.0, within(1e-9));
    }

    @Test
    void outputsSeenTogetherWithTheLastWarmUpOutputWereMadeBeforeTheClockStarted() {
        // an exactly-once stage's outputs appear in bursts, one per commit: 4 at t=1, 4 at t=2, 4 at t=3
        List<SteadyRate.Arrival> arrivals = new java.util.ArrayList<>();
        for (int commit = 1; commit <= 3; commit++) {
            for (int k = 0; k < 4; k++) {
                arrivals.add(at(commit, 1));
            }
        }
        SteadyRate rate = SteadyRate.of(arrivals, 2);
        assertThat(rate.outputs()).isEqualTo(8);
        assertThat(rate.perSecond()).isCloseTo(4.0, within(1e-9)); // 4 per commit, one commit per second
        assertThat(SteadyRate.counted(arrivals, 2, 3)).isFalse();
        assertThat(SteadyRate.counted(arrivals, 2, 4)).isTrue();
    }

    @Test
    void usesEachOutputsOwnUnits() {
        SteadyRate rate = SteadyRate.of(List.of(at(0, 100), at(1, 10), at(2, 30)), 1);
        assertThat(rate.units()).isEqualTo(40);
        assertThat(rate.perSecond()).isCloseTo(20.0, within(1e-9));
    }

    @Test
    void rejectsAWarmUpThatLeavesNoWindow() {
        List<SteadyRate.Arrival> arrivals = List.of(at(0, 1), at(1, 1));
        assertThatThrownBy(() -> SteadyRate.of(arrivals, 0)).hasMessageContaining("warmup must be in [1, 1]");
        assertThatThrownBy(() -> SteadyRate.of(arrivals, 2)).hasMessageContaining("warmup must be in [1, 1]");
        assertThatThrownBy(() -> SteadyRate.of(List.of(at(1, 1), at(1, 1)), 1)).hasMessageContaining("same instant");
    }
}
