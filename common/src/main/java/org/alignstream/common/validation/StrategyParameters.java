package org.alignstream.common.validation;

import java.util.Optional;
import org.alignstream.avro.Strategy;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameters;

/**
 * A request's Avro {@link Strategy} as the plain {@link MethodParameters} that {@link AlignmentMethod} reads, with the
 * method's defaults in place of what the request left out (n, top_k, block_size, rollout_length at 0; beta absent),
 * and the same defaults written back into a {@link Strategy} ({@link #withDefaults}), which the generator does to every
 * request it reads so that every later stage and the answer see the values the method ran with.
 */
public final class StrategyParameters {

    private StrategyParameters() {
    }

    /** The method-relevant values of {@code s}, with the method's defaults (none for an unknown method). */
    public static MethodParameters of(Strategy s) {
        Optional<AlignmentMethod> method = AlignmentMethod.of(s.getMethod());
        double beta = s.getBeta() != null ? s.getBeta() : method.map(AlignmentMethod::defaultBeta).orElse(0.0);
        MethodParameters raw = new MethodParameters(s.getN(), s.getTopK(), beta, s.getMaxNewTokens(),
                s.getBlockSize(), s.getRolloutLength(), s.getGreedy(), s.getTransfer(), s.getBaselineRewardModel(),
                s.getTemperature(), s.getBaselineBeta(), s.getRollouts(), s.getRewardModelKind(), s.getRejectionRate());
        return method.map(m -> m.withDefaults(raw)).orElse(raw);
    }

    /** {@code s} itself when it leaves nothing to the method's defaults, else a copy with them filled in. */
    public static Strategy withDefaults(Strategy s) {
        MethodParameters p = of(s);
        if (s.getBeta() != null && p.n() == s.getN() && p.topK() == s.getTopK() && p.blockSize() == s.getBlockSize()
                && p.rolloutLength() == s.getRolloutLength()) {
            return s;
        }
        return Strategy.newBuilder(s).setN(p.n()).setTopK(p.topK()).setBeta(p.beta()).setBlockSize(p.blockSize())
                .setRolloutLength(p.rolloutLength()).build();
    }
}
