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
     * ({@code nowMs} minus the request's creation time by the client) when the request has one and {@code pipeline}
     * ({@code nowMs} minus the time the generator first read it, without the client's own delay) when it has that. The caller sets the rest: text,
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
        long received = set.getRequest().getReceivedAtMs();
        if (received > 0) {
            timings.put("pipeline", (double) (nowMs - received));
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
