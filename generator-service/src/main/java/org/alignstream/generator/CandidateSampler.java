package org.alignstream.generator;

import java.util.List;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.Strategy;

/** The language-model side of the generator as the topology sees it: N candidates for one prompt. */
public interface CandidateSampler {

    /** Samples {@code strategy.n} candidates of at most {@code strategy.max_new_tokens} tokens in one batch. */
    Sampled sample(String prompt, Strategy strategy);

    /** The model that samples. */
    ModelRef model();

    /** The prompt's token ids (as the model saw them) and the candidates. */
    record Sampled(List<Integer> promptTokenIds, List<Candidate> candidates) {
    }
}
