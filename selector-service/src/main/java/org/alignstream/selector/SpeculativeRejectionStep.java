package org.alignstream.selector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.SpeculativeCandidate;
import org.alignstream.avro.Strategy;
import org.alignstream.core.decoding.ResponseEnd;
import org.alignstream.core.selection.SpeculativeRejection;
import org.alignstream.core.selection.SpeculativeRejection.Checkpoint;
import org.alignstream.core.selection.SpeculativeRejection.Scored;

/**
 * One checkpoint of speculative_rejection on the selector's side ({@link SpeculativeRejection}): the round's scored
 * candidates are the kept candidates still going, each extended by a block (at round 0, the N first blocks); the ended
 * candidates kept at the previous checkpoint are ranked before them with their rewards; the kept ones go to the next
 * round in the state, or, when none is still going, the highest reward among this round's candidates and the ended
 * ones is the response. Pure, as {@link StepSelector}.
 */
final class SpeculativeRejectionStep {

    private SpeculativeRejectionStep() {
    }

    /** The state after this checkpoint; {@link StepSelector.Step#chosenIndex()} is the chosen candidate's stream. */
    static StepSelector.Step next(ScoredCandidateSet set, double[] rewards) {
        DecodeState state = set.getDecodeState();
        Strategy s = set.getRequest().getStrategy();
        List<SpeculativeCandidate> before = state.getSpeculativeCandidates();
        List<SpeculativeCandidate> going = going(state);
        Map<Integer, SpeculativeCandidate> byStream = new HashMap<>();
        List<Scored> previouslyEnded = new ArrayList<>();
        for (SpeculativeCandidate c : before) {
            if (c.getEnded()) {
                previouslyEnded.add(new Scored(c.getStream(), c.getReward(), true));
                byStream.put(c.getStream(), c);
            }
        }
        List<Scored> retired = new ArrayList<>();
        for (SpeculativeCandidate c : state.getRetiredCandidates()) {
            retired.add(new Scored(c.getStream(), c.getReward(), true));
            byStream.put(c.getStream(), c);
        }
        List<Scored> current = new ArrayList<>();
        List<Candidate> candidates = set.getCandidates();
        for (int i = 0; i < candidates.size(); i++) {
            Candidate block = candidates.get(i);
            int stream = state.getRound() == 0 ? i : going.get(i).getStream();
            List<Integer> tokens = new ArrayList<>(state.getRound() == 0 ? List.of() : going.get(i).getTokenIds());
            tokens.addAll(block.getTokenIds());
            List<Float> logprobs = new ArrayList<>(state.getRound() == 0 ? List.of() : going.get(i).getLogprobs());
            logprobs.addAll(block.getLogprobs());
            boolean ended = ResponseEnd.reached(block.getFinishReason(), tokens.size(), s.getMaxNewTokens());
            byStream.put(stream, SpeculativeCandidate.newBuilder().setStream(stream).setTokenIds(tokens)
                    .setLogprobs(logprobs).setText(block.getText()).setReward(rewards[i]).setEnded(ended).build());
            current.add(new Scored(stream, rewards[i], ended));
        }
        Checkpoint checkpoint = SpeculativeRejection.checkpoint(previouslyEnded, current, s.getRejectionRate());
        List<Integer> keptPerCheckpoint = new ArrayList<>(state.getKeptPerCheckpoint());
        keptPerCheckpoint.add(checkpoint.kept().size());
        Map<String, Double> timings = new HashMap<>(state.getTimingsMs());
        set.getTimingsMs().forEach((stage, ms) -> timings.merge(stage, ms, Double::sum));
        DecodeState.Builder after = DecodeState.newBuilder(state)
                .setRound(state.getRound() + 1)
                .setRewardCalls(state.getRewardCalls() + candidates.size())
                .setGeneratedTokens(state.getGeneratedTokens() + StepSelector.generatedTokens(candidates))
                .setKeptPerCheckpoint(keptPerCheckpoint)
                .setTimingsMs(timings);
        if (!checkpoint.done()) {
            List<SpeculativeCandidate> retiredNow = new ArrayList<>(state.getRetiredCandidates());
            checkpoint.retired().forEach(r -> retiredNow.add(byStream.get(r.id())));
            return new StepSelector.Step(after
                    .setSpeculativeCandidates(checkpoint.kept().stream().map(k -> byStream.get(k.id())).toList())
                    .setRetiredCandidates(retiredNow)
                    .build(), -1, set.getRewards());
        }
        Scored chosen = SpeculativeRejection.choose(current, previouslyEnded, retired);
        SpeculativeCandidate c = byStream.get(chosen.id());
        return new StepSelector.Step(after
                .setTokenIds(c.getTokenIds())
                .setLogprobs(c.getLogprobs())
                .setText(c.getText())
                .setReward(c.getReward())
                // any rule choosing one of N independent draws from pi_ref puts at most N times pi_ref's mass on a
                // text: KL <= log N
                .setKl(Math.log(s.getN()))
                .setFinished(true)
                .setSpeculativeCandidates(List.of())
                .setRetiredCandidates(List.of())
                .build(), chosen.id(), set.getRewards());
    }

    /** The candidates a round of {@code state} extends, in the order of its candidate set (empty at round 0). */
    static List<SpeculativeCandidate> going(DecodeState state) {
        return state.getSpeculativeCandidates().stream().filter(c -> !c.getEnded()).toList();
    }

    /** The index in {@code set} of the candidate of {@code stream}, or -1 if this round did not extend it. */
    static int indexInSet(ScoredCandidateSet set, int stream) {
        DecodeState state = set.getDecodeState();
        if (state.getRound() == 0) {
            return stream < set.getCandidates().size() ? stream : -1;
        }
        List<SpeculativeCandidate> going = going(state);
        for (int i = 0; i < going.size(); i++) {
            if (going.get(i).getStream() == stream) {
                return i;
            }
        }
        return -1;
    }
}
