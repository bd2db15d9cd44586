package org.alignstream.generator;

import java.util.List;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;

/**
 * The language-model side of stepwise decoding (args, pargs, blockwise, tq_star) as the topology sees it: the
 * candidates of one decoding round. Everything it needs is in the {@link DecodeState}, so any instance can propose
 * any round, and the same state always gives the same candidates.
 */
public interface StepProposer {

    /** The state before the first round: the prompt's token ids (as the model sees them), no response yet. */
    DecodeState start(PromptRequest request);

    /**
     * The candidates of round {@code state.round}: the top-k next tokens (args, pargs), each with its rollout
     * (tq_star), or K sampled blocks (blockwise). Each candidate's {@code text} is the response with the candidate
     * appended (and its rollout, for tq_star), which is what the reward model scores.
     */
    List<Candidate> propose(DecodeState state);

    /** The model that proposes (pi_ref). */
    ModelRef model();

    /** The Transfer Q* rollout model (rho_BL), or {@code null} when none is loaded. */
    ModelRef baselineModel();
}
