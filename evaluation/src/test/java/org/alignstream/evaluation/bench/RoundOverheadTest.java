package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundOverheadTest {

    @Test
    void transportPerRoundIsWallMinusTheStagesOwnTimeOverTheRounds() {
        // 16 rounds in 1000 ms of which the stages processed 80 + 320 + 0.8 ms; end_to_end is not processing
        Map<String, Double> timings = Map.of("generator", 80.0, "scorer", 320.0, "selector", 0.8, "end_to_end", 990.0);
        RoundOverhead o = RoundOverhead.of(1000.0, timings, 16);
        assertThat(o.stageMs()).isCloseTo(400.8, within(1e-9));
        assertThat(o.perRoundMs()).isCloseTo(599.2 / 16, within(1e-9));
        assertThat(o.stageMsPerRound()).isCloseTo(400.8 / 16, within(1e-9));
        // 3 hops a round plus the prompts hop at the start (the aligned-responses hop replaces the last decode-steps)
        assertThat(o.perHopMs()).isCloseTo(599.2 / 49, within(1e-9));
    }

    @Test
    void medianIsOverRequests() {
        List<RoundOverhead> requests = List.of(new RoundOverhead(300, 100, 10), new RoundOverhead(500, 100, 10),
                new RoundOverhead(160, 80, 4), new RoundOverhead(1000, 0, 1));
        // per round: 20, 40, 20, 1000 -> median of the middle pair (20, 40)
        assertThat(RoundOverhead.medianPerRoundMs(requests)).isCloseTo(30.0, within(1e-9));
        // stage ms per round: 10, 10, 20, 0 -> 10
        assertThat(RoundOverhead.medianStageMsPerRound(requests)).isCloseTo(10.0, within(1e-9));
        assertThat(RoundOverhead.medianPerHopMs(List.of(new RoundOverhead(131, 0, 10)))).isCloseTo(131.0 / 31, within(1e-9));
    }

    @Test
    void aClockGlitchMayGoSlightlyNegativeButNotInvalid() {
        assertThat(new RoundOverhead(99.5, 100, 1).perRoundMs()).isCloseTo(-0.5, within(1e-9));
    }

    @Test
    void rejectsResponsesThatAreNotStepwiseOrLackAStageTime() {
        assertThatThrownBy(() -> RoundOverhead.of(100, Map.of("generator", 1.0, "scorer", 2.0, "selector", 0.0), 0))
                .hasMessageContaining("at least 1 round");
        assertThatThrownBy(() -> RoundOverhead.of(100, Map.of("generator", 1.0, "scorer", 2.0), 3))
                .hasMessageContaining("no 'selector' entry");
        assertThatThrownBy(() -> new RoundOverhead(-1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RoundOverhead(Double.NaN, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RoundOverhead(Double.POSITIVE_INFINITY, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
