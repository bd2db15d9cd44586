package org.alignstream.common.validation;

import static org.assertj.core.api.Assertions.assertThat;

import org.alignstream.avro.Strategy;
import org.alignstream.core.decoding.MethodParameters;
import org.junit.jupiter.api.Test;

class StrategyParametersTest {

    @Test
    void aStrategyWithEveryFieldLeftOutHasTheMethodParameterDefaults() {
        assertThat(StrategyParameters.of(Strategy.newBuilder().build())).isEqualTo(MethodParameters.DEFAULTS);
    }

    @Test
    void everyFieldIsCopied() {
        Strategy s = Strategy.newBuilder().setMethod("tq_star").setN(3).setTopK(7).setBeta(0.25).setMaxNewTokens(40)
                .setBlockSize(5).setRolloutLength(6).setGreedy(false).setTransfer("indirect")
                .setBaselineRewardModel("sentiment").setTemperature(0.7).setBaselineBeta(0.5).setRollouts(4)
                .setRewardModelKind("full-sequence").setRejectionRate(0.75).build();
        assertThat(StrategyParameters.of(s)).isEqualTo(new MethodParameters(3, 7, 0.25, 40, 5, 6, false, "indirect",
                "sentiment", 0.7, 0.5, 4, "full-sequence", 0.75));
    }
}
