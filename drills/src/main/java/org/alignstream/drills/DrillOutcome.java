package org.alignstream.drills;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;

/**
 * What one run of a drill's prompts gave.
 *
 * @param sent the prompts sent, ids {@code <drill>-<index>}
 * @param answers the answers received for them, in arrival order (a duplicate answer appears twice)
 * @param deadLettered records written to dead-letters while the prompts ran
 * @param seconds from the first send until the answers were in
 */
record DrillOutcome(List<PromptRequest> sent, List<AlignedResponse> answers, long deadLettered, double seconds) {

    /** Answers by prompt index (the last one for an index answered twice). */
    Map<Integer, AlignedResponse> answersByIndex() {
        Map<Integer, AlignedResponse> out = new LinkedHashMap<>();
        for (AlignedResponse a : answers) {
            out.put(index(a), a);
        }
        return out;
    }

    /** The prompt index of an answer: the number after the drill name in its id. */
    static int index(AlignedResponse a) {
        return Integer.parseInt(a.getId().substring(a.getId().lastIndexOf('-') + 1));
    }
}
