package org.alignstream.common.validation;

import static org.assertj.core.api.Assertions.assertThat;

import org.alignstream.avro.Strategy;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameters;
import org.junit.jupiter.api.Test;

class StrategyParametersTest {

    @Test
    void aStrategyWithEveryFieldLeftOutHasTheMethodsDefaults() {
        MethodParameters bon = StrategyParameters.of(Strategy.newBuilder().build());
        assertThat(bon).isEqualTo(AlignmentMethod.BEST_OF_N.withDefaults(MethodParameters.DEFAULTS));
        assertThat(bon.n()).isEqualTo(8);
        MethodParameters args = StrategyParameters.of(Strategy.newBuilder().setMethod("args").build());
        assertThat(args.topK()).isEqualTo(10);
        assertThat(args.beta()).isEqualTo(1.0);
    }

    @Test
    void theDefaultsAreWrittenBackSoEveryLaterStageSeesThem() {
        Strategy filled = StrategyParameters.withDefaults(Strategy.newBuilder().setMethod("tq_star").build());
        assertThat(filled.getTopK()).isEqualTo(10);
        assertThat(filled.getRolloutLength()).isEqualTo(8);
        assertThat(filled.getBeta()).isEqualTo(1.0);
        assertThat(StrategyParameters.withDefaults(filled)).isSameAs(filled);
        Strategy explicit = Strategy.newBuilder().setMethod("rbon_kl").setN(3).setBeta(0.0).build();
        assertThat(StrategyParameters.withDefaults(explicit)).isSameAs(explicit);
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
