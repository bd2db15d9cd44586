package org.alignstream.common.validation;

import org.alignstream.avro.Strategy;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameters;

/** A request's Avro {@link Strategy} as the plain {@link MethodParameters} that {@link AlignmentMethod} reads. */
public final class StrategyParameters {

    private StrategyParameters() {
    }

    /** The method-relevant values of {@code s}, field for field. */
    public static MethodParameters of(Strategy s) {
        return new MethodParameters(s.getN(), s.getTopK(), s.getBeta(), s.getMaxNewTokens(), s.getBlockSize(),
                s.getRolloutLength(), s.getGreedy(), s.getTransfer(), s.getBaselineRewardModel(), s.getTemperature(),
                s.getBaselineBeta(), s.getRollouts(), s.getRewardModelKind(), s.getRejectionRate());
    }
}
