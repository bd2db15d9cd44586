package org.alignstream.selector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.validation.StrategyParameters;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.Args;
import org.alignstream.core.decoding.BlockwiseBestOfK;
import org.alignstream.core.decoding.Pargs;
import org.alignstream.core.decoding.ResponseEnd;
import org.alignstream.core.decoding.StepChoice;
import org.alignstream.core.decoding.TransferQStar;
import org.alignstream.core.sampling.Seeds;

/**
 * One round of a stepwise decoding, on the selector's side: from the scored candidates of round t, choose one by the
 * request's method and return the state after round t. Pure: the same scored set always gives the same state (the
 * selection randomness is drawn from the request seed and the round number), so a restarted or rebalanced selector
 * continues a request exactly as the first one would have.
 */
public final class StepSelector {

    private StepSelector() {
    }

    /** The state after this round: the chosen candidate appended, KL, reward and counters updated. */
    public static Step next(ScoredCandidateSet set) {
        DecodeState state = set.getDecodeState();
        Strategy s = set.getRequest().getStrategy();
        AlignmentMethod method = AlignmentMethod.of(s.getMethod()).filter(AlignmentMethod::stepwise).orElseThrow(() ->
                new InvalidRecordException("decoding state for request " + set.getRequest().getId()
                        + " has a method that is not stepwise: '" + s.getMethod() + "'"));
        List<Candidate> candidates = set.getCandidates();
        double[] rewards = rewards(set);
        double[] logProbRef = logProbRef(candidates);
        RandomGenerator rng = Seeds.forStep(Seeds.forRound(s.getSeed(), state.getRound()), Seeds.SELECTION_STREAM, 0);
        StepChoice choice = switch (method) {
            case ARGS -> Args.choose(logProbRef, rewards, s.getBeta(), s.getGreedy(), rng);
            case PARGS -> Pargs.choose(logProbRef, rewards, s.getBeta(), s.getGreedy(), rng);
            case BLOCKWISE -> BlockwiseBestOfK.choose(rewards, s.getBeta(), s.getGreedy(), rng);
            case TQ_STAR -> TransferQStar.choose(logProbRef, q(set, method, s, rewards), s.getBeta(), s.getGreedy(), rng);
            default -> throw new IllegalStateException("unhandled stepwise method " + method);
        };
        Candidate chosen = candidates.get(choice.index());
        List<Integer> tokens = new ArrayList<>(state.getTokenIds());
        tokens.addAll(chosen.getTokenIds());
        List<Float> logprobs = new ArrayList<>(state.getLogprobs());
        logprobs.addAll(chosen.getLogprobs());
        Map<String, Double> timings = new HashMap<>(state.getTimingsMs());
        set.getTimingsMs().forEach((stage, ms) -> timings.merge(stage, ms, Double::sum));
        boolean finished = ResponseEnd.reached(chosen.getFinishReason(), tokens.size(), s.getMaxNewTokens());
        DecodeState after = DecodeState.newBuilder(state)
                .setTokenIds(tokens)
                .setLogprobs(logprobs)
                .setText(chosen.getResponseText() != null ? chosen.getResponseText() : chosen.getText())
                .setRound(state.getRound() + 1)
                .setKl(state.getKl() + choice.kl())
                .setReward(rewards[choice.index()])
                .setRewardCalls(state.getRewardCalls() + candidates.size() + set.getBaselineRewards().size())
                .setFinished(finished)
                .setTimingsMs(timings)
                .build();
        return new Step(after, choice.index(), set.getRewards());
    }

    /** The state after a round, the index chosen in it and the rewards of that round's candidates. */
    public record Step(DecodeState state, int chosenIndex, List<Double> roundRewards) {
    }

    /** Q of each candidate: its rollout's reward, importance-weighted when the method needs the baseline's rewards. */
    private static double[] q(ScoredCandidateSet set, AlignmentMethod method, Strategy s, double[] rewards) {
        if (!method.needsBaselineRewards(StrategyParameters.of(s))) {
            return TransferQStar.directQ(rewards);
        }
        List<Double> baseline = set.getBaselineRewards();
        if (baseline.size() != rewards.length) {
            throw new InvalidRecordException("indirect transfer for request " + set.getRequest().getId() + " needs "
                    + rewards.length + " baseline rewards, the scored set has " + baseline.size());
        }
        return TransferQStar.indirectQ(rewards, baseline.stream().mapToDouble(Double::doubleValue).toArray(), s.getBeta());
    }

    /** log pi_ref of each candidate's appended tokens: the sum of their per-token log-probabilities. */
    static double[] logProbRef(List<Candidate> candidates) {
        double[] out = new double[candidates.size()];
        for (int i = 0; i < out.length; i++) {
            for (float lp : candidates.get(i).getLogprobs()) {
                out[i] += lp;
            }
        }
        return out;
    }

    static double[] rewards(ScoredCandidateSet set) {
        List<Candidate> candidates = set.getCandidates();
        List<Double> rewards = set.getRewards();
        if (candidates.isEmpty() || candidates.size() != rewards.size()) {
            throw new InvalidRecordException("scored set for request " + set.getRequest().getId() + " has "
                    + candidates.size() + " candidates and " + rewards.size() + " rewards");
        }
        return rewards.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
