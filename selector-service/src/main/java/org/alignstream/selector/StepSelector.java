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
import org.alignstream.core.decoding.MethodParameters;
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
        if (method.prunes()) {
            return SpeculativeRejectionStep.next(set, rewards);
        }
        double[] logProbRef = logProbRef(candidates);
        RandomGenerator rng = Seeds.forStep(Seeds.forRound(s.getSeed(), state.getRound()), Seeds.SELECTION_STREAM, 0);
        MethodParameters p = StrategyParameters.of(s);
        boolean greedy = method.greedy(p);
        StepChoice choice = switch (method) {
            case ARGS -> Args.choose(logProbRef, rewards, p.beta(), greedy, s.getTemperature(), rng);
            case PARGS -> Pargs.choose(logProbRef, rewards, p.beta(), greedy, rng);
            case BLOCKWISE -> BlockwiseBestOfK.choose(rewards, p.beta(), greedy, rng);
            case TQ_STAR -> TransferQStar.choose(logProbRef, q(set, method, p, rewards), p.beta(), greedy, rng);
            default -> throw new IllegalStateException("unhandled stepwise method " + method);
        };
        long extraTexts = 0;
        for (List<Double> extra : set.getExtraRolloutRewards()) {
            extraTexts += extra.size();
        }
        for (List<Double> extra : set.getExtraRolloutBaselineRewards()) {
            extraTexts += extra.size();
        }
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
                .setRewardCalls(state.getRewardCalls() + candidates.size() + set.getBaselineRewards().size() + extraTexts)
                .setGeneratedTokens(state.getGeneratedTokens() + generatedTokens(candidates))
                .setFinished(finished)
                .setTimingsMs(timings)
                .build();
        return new Step(after, choice.index(), set.getRewards());
    }

    /**
     * Tokens the generator sampled for {@code candidates}: their tokens, their rollouts' and their extra rollouts' (a
     * tokenwise round's top-k tokens count one each).
     */
    static long generatedTokens(List<Candidate> candidates) {
        long tokens = 0;
        for (Candidate c : candidates) {
            tokens += c.getTokenIds().size() + c.getRolloutTokenIds().size();
            for (List<Integer> extra : c.getExtraRolloutTokenIds()) {
                tokens += extra.size();
            }
        }
        return tokens;
    }

    /**
     * The state after a round, the index chosen in it and the rewards of that round's candidates (speculative_rejection:
     * the chosen candidate's stream when the state is finished, else -1).
     */
    public record Step(DecodeState state, int chosenIndex, List<Double> roundRewards) {
    }

    /**
     * Q of each candidate: the mean over its rollouts (the text's, then the extra ones) of the rollout's reward,
     * importance-weighted when the method needs the baseline's rewards (indirect transfer, {@code baseline_beta}).
     */
    private static double[] q(ScoredCandidateSet set, AlignmentMethod method, MethodParameters p, double[] rewards) {
        double[][] target = rolloutRewards(set, method);
        if (!method.needsBaselineRewards(p)) {
            return TransferQStar.directQ(target);
        }
        List<Double> baseline = set.getBaselineRewards();
        if (baseline.size() != rewards.length) {
            throw new InvalidRecordException("indirect transfer for request " + set.getRequest().getId() + " needs "
                    + rewards.length + " baseline rewards, the scored set has " + baseline.size());
        }
        double[][] baselineRollouts = rollouts(set.getRequest().getId(), "baseline", baseline,
                set.getExtraRolloutBaselineRewards(), target[0].length);
        return TransferQStar.indirectQ(target, baselineRollouts, p.baselineBeta());
    }

    /**
     * Each candidate's rollout rewards, {@code [candidate][rollout]}: its text's reward, then those of its extra
     * rollouts (none, or rollouts m - 1 for every candidate); a set whose extra rewards do not fit throws.
     */
    static double[][] rolloutRewards(ScoredCandidateSet set, AlignmentMethod method) {
        List<List<Double>> extra = set.getExtraRolloutRewards();
        List<List<Double>> extraBaseline = set.getExtraRolloutBaselineRewards();
        String id = set.getRequest().getId();
        int n = set.getCandidates().size();
        int extras = extra.isEmpty() ? 0 : extra.get(0).size();
        int allowed = Math.max(0, method.rolloutsPerCandidate(StrategyParameters.of(set.getRequest().getStrategy())) - 1);
        if (!extra.isEmpty() && (extra.size() != n || extras != allowed)) {
            throw new InvalidRecordException("request " + id + ": the scored set has extra rollout rewards for "
                    + extra.size() + " of " + n + " candidates, " + extras + " each, expected " + allowed);
        }
        if (!extraBaseline.isEmpty() && extraBaseline.size() != extra.size()) {
            throw new InvalidRecordException("request " + id + ": the scored set has extra rollout baseline rewards for "
                    + extraBaseline.size() + " candidates and extra rollout rewards for " + extra.size());
        }
        for (int i = 0; i < extra.size(); i++) {
            if (set.getCandidates().get(i).getExtraRolloutTexts().size() != extras) {
                throw new InvalidRecordException("request " + id + ": candidate " + i + " has "
                        + set.getCandidates().get(i).getExtraRolloutTexts().size() + " extra rollouts but "
                        + extras + " extra rollout rewards");
            }
        }
        return rollouts(id, "target", set.getRewards(), extra, 1 + extras);
    }

    private static double[][] rollouts(String id, String what, List<Double> first, List<List<Double>> extra, int m) {
        double[][] out = new double[first.size()][m];
        for (int i = 0; i < out.length; i++) {
            out[i][0] = first.get(i);
            List<Double> more = extra.isEmpty() ? List.of() : extra.get(i);
            if (more.size() != m - 1) {
                throw new InvalidRecordException("request " + id + ": candidate " + i + " has " + (1 + more.size())
                        + " " + what + " rollout rewards, expected " + m);
            }
            for (int j = 1; j < m; j++) {
                out[i][j] = more.get(j - 1);
            }
        }
        return out;
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
