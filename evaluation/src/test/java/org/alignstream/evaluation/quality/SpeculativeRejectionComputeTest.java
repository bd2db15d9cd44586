package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.alignstream.evaluation.quality.SpeculativeRejectionCompute.Config;
import org.alignstream.evaluation.quality.SpeculativeRejectionCompute.Equal;
import org.alignstream.evaluation.quality.SpeculativeRejectionCompute.Mean;
import org.junit.jupiter.api.Test;

class SpeculativeRejectionComputeTest {
    private static final int[] GRID = {1, 2, 4};
    private static final Mean[] CURVE = {new Mean(0.0, 10, 1), new Mean(1.0, 20, 2), new Mean(2.0, 40, 4)};

    @Test
    void bestOfNIsInterpolatedInLogNForRewardAndInNForCompute() {
        Equal eq = SpeculativeRejectionCompute.equalReward(GRID, CURVE, 1.5);
        assertThat(eq.n()).isCloseTo(Math.pow(2, 1.5), within(1e-12)); // halfway from log2 2 to log2 4
        double w = (Math.pow(2, 1.5) - 2) / 2;
        assertThat(eq.at().tokens()).isCloseTo(20 + w * 20, within(1e-12));
        assertThat(eq.at().rewardCalls()).isCloseTo(2 + w * 2, within(1e-12));
        assertThat(eq.note()).isEmpty();
        // a grid point exactly
        assertThat(SpeculativeRejectionCompute.equalReward(GRID, CURVE, 1.0).at().tokens()).isEqualTo(20.0);
    }

    @Test
    void outsideTheCurveTheEndsAreTakenAndSaidSo() {
        Equal above = SpeculativeRejectionCompute.equalReward(GRID, CURVE, 2.5);
        assertThat(above.n()).isEqualTo(4);
        assertThat(above.at().tokens()).isEqualTo(40);
        assertThat(above.note()).contains("a bound");
        Equal below = SpeculativeRejectionCompute.equalReward(GRID, CURVE, -1.0);
        assertThat(below.n()).isEqualTo(1);
        assertThat(below.note()).contains("at or below Best-of-1");
    }

    @Test
    void configsParseAsNMAlpha() {
        assertThat(Config.parse("128:2:0.5")).isEqualTo(new Config(128, 2, 0.5));
        assertThatThrownBy(() -> Config.parse("128:2")).hasMessageContaining("N:M:ALPHA");
    }
}
