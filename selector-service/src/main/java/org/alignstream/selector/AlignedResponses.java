package org.alignstream.selector;

import java.util.HashMap;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.ScoredCandidateSet;

/**
 * The part of an {@link AlignedResponse} that every alignment method fills the same way, from the scored set it answers
 * and the index of the chosen candidate.
 */
final class AlignedResponses {

    private AlignedResponses() {
    }

    /**
     * A builder of the answer to {@code set}'s request with the request's id, prompt, method and creation time, the
     * set's candidate count and models, the chosen index and that candidate's per-token credit
     * ({@link SelectorTopology#creditOf}), and the timings: a copy of {@code timingsMs} plus {@code end_to_end}
     * ({@code nowMs} minus the request's creation time) when the request has one. The caller sets the rest: text,
     * reward, candidate rewards, token ids, KL, reward calls and, for a stepwise method, rounds and baseline model.
     *
     * @throws org.alignstream.common.stage.InvalidRecordException if the set has token credits, but not one list per
     *                                                             candidate
     */
    static AlignedResponse.Builder answering(ScoredCandidateSet set, int chosen, Map<String, Double> timingsMs,
                                             long nowMs) {
        Map<String, Double> timings = new HashMap<>(timingsMs);
        long created = set.getRequest().getCreatedAtMs();
        if (created > 0) {
            timings.put("end_to_end", (double) (nowMs - created));
        }
        return AlignedResponse.newBuilder()
                .setId(set.getRequest().getId())
                .setPrompt(set.getRequest().getPrompt())
                .setMethod(set.getRequest().getStrategy().getMethod())
                .setN(set.getCandidates().size())
                .setChosenIndex(chosen)
                .setGeneratorModel(set.getGeneratorModel())
                .setRewardModel(set.getRewardModel())
                .setRewardModelKind(set.getRewardModelKind())
                .setTimingsMs(timings)
                .setCreatedAtMs(created)
                .setTokenCredit(SelectorTopology.creditOf(set, chosen));
    }
}
