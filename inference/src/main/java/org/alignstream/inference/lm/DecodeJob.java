package org.alignstream.inference.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.alignstream.core.sampling.SamplingParams;

/**
 * One request's decoding from a read context, checked and ready to run alone or merged with other requests' jobs in
 * one padded call per step ({@link CandidateGenerator#decode(List, boolean)}): made by
 * {@link CandidateGenerator#samplingJob} (N sampled continuations, Best-of-N and blockwise rounds) or
 * {@link CandidateGenerator#rolloutJob} (Transfer Q* rollouts after forced first tokens). The context is not owned:
 * it must stay open until the job has run.
 */
public final class DecodeJob {

    final CachedContext context;
    final int[] streams;
    final SamplingParams params;
    final int maxNewTokens;
    final long seed;
    final int firstStep;
    final int[] forced; // null: every token sampled; else row i's first token, dropped from the result

    DecodeJob(CachedContext context, int[] streams, SamplingParams params, int maxNewTokens, long seed, int firstStep,
              int[] forced) {
        this.context = context;
        this.streams = streams;
        this.params = params;
        this.maxNewTokens = maxNewTokens;
        this.seed = seed;
        this.firstStep = firstStep;
        this.forced = forced;
    }

    /** Number of rows (continuations) this job decodes. */
    public int rows() {
        return streams.length;
    }

    /** Length of the context the job decodes from. */
    public int contextLength() {
        return context.length();
    }

    /** The rows' sequences as the caller sees them: a rollout job drops the forced first token. */
    List<GeneratedSequence> result(List<GeneratedSequence> rows) {
        if (forced == null) {
            return rows;
        }
        List<GeneratedSequence> out = new ArrayList<>(rows.size());
        for (GeneratedSequence s : rows) {
            out.add(new GeneratedSequence(Arrays.copyOfRange(s.tokenIds(), 1, s.length()),
                    Arrays.copyOfRange(s.logprobs(), 1, s.length()), s.finishReason()));
        }
        return out;
    }
}
